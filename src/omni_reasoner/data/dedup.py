"""Keep evaluation questions out of training: exact and n-gram overlap, checked at build time.

A training question overlaps an evaluation question when their normalised texts are
equal, or when at least `containment` of the evaluation question's word n-grams occur
in it. Numbers stay in the n-grams, so two generated problems that share a template
but not their numbers do not count as overlapping; a reworded copy of a GSM8K test
item does.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

_NON_WORD = re.compile(r"[^a-z0-9.]+")


def normalize_question(text: str) -> str:
    text = text.lower().replace(",", "")
    return " ".join(w.strip(".") for w in _NON_WORD.split(text) if w.strip("."))


def ngrams(text: str, n: int) -> set[tuple[str, ...]]:
    words = normalize_question(text).split()
    if len(words) < n:
        return {tuple(words)} if words else set()
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


@dataclass
class Overlap:
    kind: str  # "exact" or "ngram"
    eval_id: str
    containment: float


class EvalIndex:
    """All evaluation questions, indexed for fast overlap lookups."""

    def __init__(self, n: int = 8, containment: float = 0.5):
        self.n = n
        self.containment = containment
        self._exact: dict[str, str] = {}
        self._grams: dict[tuple[str, ...], list[str]] = defaultdict(list)
        self._size: dict[str, int] = {}

    def add(self, item_id: str, question: str) -> None:
        self._exact.setdefault(normalize_question(question), item_id)
        grams = ngrams(question, self.n)
        self._size[item_id] = len(grams)
        for gram in grams:
            self._grams[gram].append(item_id)

    def __len__(self) -> int:
        return len(self._size)

    def overlap(self, question: str) -> Overlap | None:
        hit = self._exact.get(normalize_question(question))
        if hit is not None:
            return Overlap("exact", hit, 1.0)
        shared: dict[str, int] = defaultdict(int)
        for gram in ngrams(question, self.n):
            for item_id in self._grams.get(gram, ()):
                shared[item_id] += 1
        best = max(shared.items(), key=lambda kv: kv[1] / self._size[kv[0]], default=None)
        if best is not None:
            score = best[1] / self._size[best[0]]
            if score >= self.containment:
                return Overlap("ngram", best[0], score)
        return None
