"""Stage 2-3 of the builder: a Problem becomes (spoken question, reasoning, response).

Two rewriters share one interface: the rule-based default, and an LLM behind an
OpenAI-compatible endpoint (`llm_rewriter.LLMRewriter`) for the large-scale build.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Protocol

from omni_reasoner.data.problem import Problem


@dataclass(frozen=True)
class Rewritten:
    question_spoken: str  # what the TTS reads: numbers, symbols and units in words
    reasoning: str  # the silent stream: compact, may use symbols and digits
    response: str  # the spoken stream: colloquial, ends with "The answer is N."


class Rewriter(Protocol):
    def rewrite(self, problem: Problem, trace_style: str, rng: random.Random) -> Rewritten: ...


class RuleBasedRewriter:
    """The default: deterministic rules, no model, same output for the same rng state."""

    def rewrite(self, problem: Problem, trace_style: str, rng: random.Random) -> Rewritten:
        from omni_reasoner.data.responses import compose_response
        from omni_reasoner.data.speakable import to_speakable
        from omni_reasoner.data.traces import render_trace

        return Rewritten(
            question_spoken=to_speakable(problem.question),
            reasoning=render_trace(problem.steps, trace_style),
            response=compose_response(problem, rng),
        )
