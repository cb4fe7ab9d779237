"""Word error counts for transcripts: numbers in digits and in words count as the same words."""

from __future__ import annotations

import re

from omni_reasoner.format.numbers import number_to_words


def normalized_words(text: str) -> list[str]:
    """Lower-case words, digits spelled out ("105" -> one hundred five), hyphens split."""
    text = re.sub(r"\d+", lambda m: f" {number_to_words(m.group())} ", text.lower())
    return re.findall(r"[a-z']+", text.replace("-", " "))


def word_edits(reference: list[str], hypothesis: list[str]) -> tuple[int, int]:
    """(edits to the whole hypothesis, edits to its best prefix: ignores repeats after it)."""
    row = list(range(len(hypothesis) + 1))
    for i, ref in enumerate(reference, 1):
        prev, row[0] = row[0], i
        for j, hyp in enumerate(hypothesis, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ref != hyp))
    return row[-1], min(row)
