"""The spoken response: a short colloquial sentence or two that ends with the answer.

In the paper's style: "After doing the math, I think it would take about three hours.
The answer is 3." The response states no number but the answer, because the drift
checker flags any spoken number that comes before the reasoning derived it, and the
scheduler can only place the answer late, not an intermediate result. The final
sentence is always "The answer is <digits>." since the Spoken-MQA scorer reads the
number after "The answer is".

`FILLERS` and `lead_in` are number-free talk the pipeline puts in front of the response,
so the spoken stream has something to say while the reasoning stream works.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from omni_reasoner.data.problem import Problem
from omni_reasoner.format.numbers import canonical, number_to_words

OPENERS = [
    "After doing the math,",
    "Okay, so after working it out,",
    "Alright, putting it all together,",
    "So, having worked through it,",
    "When everything is worked out,",
    "Having thought it through,",
    "If I have got this right,",
    "Going through it carefully,",
    "Well, from what I can tell,",
    "So, when it all comes together,",
    "",
]

# "{n}" is the answer in words, followed by the unit when the problem has one.
CLAIMS = [
    "I think it comes to {n}.",
    "it looks like {n}.",
    "that gives us {n}.",
    "I get {n}.",
    "it works out to {n}.",
    "we end up with {n}.",
    "the result is {n}.",
    "it should be {n}.",
]

FILLERS = [
    "Hmm, okay.",
    "Let me think about this.",
    "Alright, let's work it out.",
    "So, step by step.",
    "Let me see here.",
    "Okay, bear with me.",
    "Right, let's figure this out.",
    "Good question.",
    "Okay, let me work through it.",
    "Let's see.",
    "Hmm, let me check.",
    "Alright.",
    "So, thinking it over.",
    "Okay, give me a moment.",
    "Let me put this together.",
    "Right.",
    "Okay, so.",
    "Let me be careful here.",
    "This takes a little thought.",
    "Alright, let me go through it.",
    "Hmm, interesting.",
    "Let me work this out.",
    "Okay, here goes.",
    "Just a moment.",
    "So, let's look at this.",
    "Well, let me think.",
    "Okay, let me get this right.",
    "Let me piece it together.",
    "Alright, bear with me here.",
    "Let's take it slowly.",
    "Okay, I'm on it.",
    "Hmm, let's see what we have.",
    "Let me keep track of this.",
    "Right, nearly there.",
]


def _singular(unit: str) -> str:
    """'apples' -> 'apple' for an answer of one; rough rules are enough for units."""
    head, _, last = unit.rpartition(" ")
    if last.endswith("ies"):
        last = last[:-3] + "y"
    elif last.endswith(("ches", "shes", "xes", "sses")):
        last = last[:-2]
    elif last.endswith("s") and not last.endswith("ss"):
        last = last[:-1]
    return f"{head} {last}".strip()


def compose_response(problem: Problem, rng: random.Random) -> str:
    """A short spoken response that says only the answer, then "The answer is N."."""
    answer = canonical(problem.answer)
    words = number_to_words(answer)
    unit = problem.answer_unit.strip()
    if unit:
        words += " " + (_singular(unit) if answer == "1" else unit)
    opener = rng.choice(OPENERS)
    claim = rng.choice(CLAIMS).format(n=words)
    sentence = f"{opener} {claim}" if opener else claim[0].upper() + claim[1:]
    return f"{sentence} The answer is {answer}."


def lead_in(n_tokens: int, rng: random.Random, count_tokens: Callable[[str], int]) -> str:
    """Fillers joined until they cost at least `n_tokens`; no filler twice until all are used."""
    parts: list[str] = []
    pool: list[str] = []
    count = count_tokens("")
    while count < n_tokens:
        if not pool:
            pool = rng.sample(FILLERS, len(FILLERS))
            if parts and pool[-1] == parts[-1]:
                pool[0], pool[-1] = pool[-1], pool[0]
        parts.append(pool.pop())
        count, before = count_tokens(" ".join(parts)), count
        if count <= before:
            raise ValueError(f"count_tokens gave no tokens for filler {parts[-1]!r}")
    return " ".join(parts)
