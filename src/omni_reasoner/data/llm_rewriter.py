"""The LLM rewriter: the same job as the rule-based one, done by a chat model.

Any OpenAI-compatible server works (vLLM, llama.cpp, ...): one POST to
`{base_url}/chat/completions` per problem, asking for a JSON object. The model's
reply is checked before it is used, because a wrong number in the data teaches the
small model a wrong answer; an invalid reply is asked for again, then given up on.

Which reasoning is used depends on `trace_style`:
- "free": the LLM writes the reasoning trace too, and it must contain the answer;
- any other style ("calculator", "scratchpad"): the trace is rendered by the rule-based
  `render_trace(problem.steps, style)`, so it stays in the exact format the small model
  learns; only the spoken question and the response come from the LLM.
"""

from __future__ import annotations

import json
import random
import re
import urllib.error
import urllib.request

from omni_reasoner.data.problem import Problem
from omni_reasoner.data.rewrite import Rewritten
from omni_reasoner.format.numbers import canonical, find_numbers, number_values

SYSTEM_PROMPT = """\
You prepare spoken math problems for a speech model that reasons silently while it talks.
Given a math word problem, its worked solution and its answer, write a JSON object with
exactly these keys, each a non-empty string:
- "question_spoken": the question as a person would read it aloud. Every number, symbol,
  fraction, unit and currency written in words ("$2.50" -> "two dollars and fifty cents",
  "3/4" -> "three quarters"). No digits and no symbols at all.
- "reasoning": a compact reasoning trace that derives the answer step by step, one short
  calculation per line, digits and symbols allowed (e.g. "48/2 = 24").
- "response": a short, colloquial spoken reply of one or two sentences. It sounds like
  someone thinking out loud, holds back the result until the end, states no number other
  than the answer (no intermediate results), says the answer in words, and ends with
  exactly "The answer is N." where N is the answer in digits.
Reply with the JSON object only."""


class RewriteError(ValueError):
    """The endpoint failed or kept giving invalid replies."""


class InvalidReply(Exception):
    """One reply that does not pass the checks: worth asking again."""


_FINAL = re.compile(r"The answer is\s+(-?[\d,]*\.?\d+)\s*\.?\s*$")


class LLMRewriter:
    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str | None = None,
        timeout_s: float = 60,
        max_retries: int = 2,
        temperature: float = 0.7,
    ):
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model, self.api_key = model, api_key
        self.timeout_s, self.max_retries, self.temperature = timeout_s, max_retries, temperature

    def rewrite(self, problem: Problem, trace_style: str, rng: random.Random) -> Rewritten:
        rendered = None
        if trace_style != "free":  # rendered first: an unsupported trace costs no LLM call
            from omni_reasoner.data.traces import render_trace

            rendered = render_trace(problem.steps, trace_style)
        messages = [
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": user_message(problem)},
        ]
        reason = ""
        for _ in range(1 + self.max_retries):
            content = self._chat(messages, seed=rng.randrange(2**31))
            try:
                return self._validate(content, problem, rendered)
            except InvalidReply as exc:
                reason = str(exc)
        raise self._error(
            f"no valid reply for {problem.source}:{problem.source_id} "
            f"after {1 + self.max_retries} tries (last: {reason})"
        )

    def _chat(self, messages: list[dict], seed: int) -> str:
        body = {
            "model": self.model,
            "messages": messages,
            "temperature": self.temperature,
            "seed": seed,
            "response_format": {"type": "json_object"},
        }
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        request = urllib.request.Request(self.url, json.dumps(body).encode(), headers)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as reply:
                envelope = json.loads(reply.read().decode("utf-8"))
        except urllib.error.HTTPError as exc:
            raise self._error(f"HTTP {exc.code} {exc.reason}") from exc
        except urllib.error.URLError as exc:
            raise self._error(f"cannot connect ({exc.reason})") from exc
        except TimeoutError as exc:
            raise self._error(f"timed out after {self.timeout_s} s") from exc
        except OSError as exc:
            raise self._error(f"connection failed ({exc})") from exc
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise self._error("reply is not JSON") from exc
        try:
            return envelope["choices"][0]["message"]["content"] or ""
        except (KeyError, IndexError, TypeError) as exc:
            raise self._error("no choices[0].message.content in the reply") from exc

    def _error(self, reason: str) -> RewriteError:
        return RewriteError(f"LLM rewriter at {self.url}: {reason}".replace("\n", " "))

    def _validate(self, content: str, problem: Problem, rendered: str | None) -> Rewritten:
        fields = parse_reply(content)
        answer = canonical(problem.answer)
        final = _FINAL.search(fields["response"])
        if not final or canonical(final.group(1)) != answer:
            raise InvalidReply(f'response does not end with "The answer is {answer}."')
        spoken = fields["response"][: final.start()].strip()
        others = {m.value for m in find_numbers(spoken)} - {answer}
        if others:
            raise InvalidReply(f"response states other numbers: {', '.join(sorted(others))}")
        if re.search(r"\d", fields["question_spoken"]):
            raise InvalidReply("question_spoken contains digits")
        reasoning = rendered if rendered is not None else fields["reasoning"]
        if rendered is None and answer not in number_values(reasoning):
            raise InvalidReply("reasoning does not contain the answer")
        response = f"{spoken} The answer is {answer}.".strip()
        return Rewritten(fields["question_spoken"].strip(), reasoning.strip(), response)


def user_message(problem: Problem) -> str:
    solution = "; ".join(f"{step.expression} = {step.result}" for step in problem.steps)
    lines = [
        f"Problem: {problem.question}",
        f"Worked solution: {solution or problem.solution_text}",
        f"Answer: {canonical(problem.answer)}",
    ]
    if problem.answer_unit:
        lines.append(f"The answer counts: {problem.answer_unit}")
    return "\n".join(lines)


def parse_reply(content: str) -> dict[str, str]:
    """The three fields of a reply; tolerates a ```json fence around the object."""
    text = re.sub(r"^```(?:json)?\s*|\s*```$", "", content.strip())
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidReply(f"reply is not JSON ({exc.msg})") from exc
    if not isinstance(data, dict):
        raise InvalidReply("reply is not a JSON object")
    for key in ("question_spoken", "reasoning", "response"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            raise InvalidReply(f"{key!r} is missing or empty")
    return {key: data[key] for key in ("question_spoken", "reasoning", "response")}
