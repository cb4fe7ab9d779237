"""The round-trip check: Whisper tiny.en hears each question clip; every number must survive.

A clip that loses or changes a number of its question teaches the model a wrong
problem, so it is rejected. Numbers are compared as values, whichever way they are
written: the question says "one hundred ninety-six", Whisper may write "196",
"100 96" or "one hundred ninety-six", and all three are the same number here.
"""

from __future__ import annotations

import re
from collections import Counter

from omni_reasoner.format.numbers import find_numbers, number_to_words
from omni_reasoner.model.asr import ARITHMETIC_PROMPT, WhisperTranscriber

_DIGIT_NUMBER = re.compile(
    r"(?<![\w.])\d{1,3}(?:,\d{3})+(?:\.\d+)?(?![\w])|(?<![\w.])\d+(?:\.\d+)?"
)
# Whisper spells a spoken "two" after "hundred" as "to" ("100 to" for "one hundred two").
_HOMOPHONES = {"to": "two", "too": "two", "for": "four", "won": "one", "ate": "eight"}
PROMPT = ARITHMETIC_PROMPT
_AFTER_SCALE = re.compile(r"\b(hundred|thousand|million)\s+(to|too|for|won|ate)\b", re.IGNORECASE)


def expected_numbers(question: str) -> Counter:
    """The numbers a listener must hear, with how often each is said."""
    return Counter(m.value for m in find_numbers(question))


def heard_numbers(transcript: str) -> Counter:
    """The numbers in a transcript, digits read back as words so split numbers rejoin.

    "100 96" becomes "one hundred ninety-six" (196), "$1.50" counts as 1.5 and also as
    1 and 50 (the question may have said "one dollar and fifty cents").
    """
    extra: Counter = Counter()

    def words(match: re.Match) -> str:
        text = match.group().replace(",", "")
        whole, _, fraction = text.partition(".")
        if fraction:
            extra.update([str(int(whole)), str(int(fraction))])
        try:
            return f" {number_to_words(text)} "
        except ValueError:  # too large to say: keep the digits
            return f" {text} "

    spoken = _DIGIT_NUMBER.sub(words, transcript)
    spoken = _AFTER_SCALE.sub(lambda m: f"{m.group(1)} {_HOMOPHONES[m.group(2).lower()]}", spoken)
    return Counter(m.value for m in find_numbers(spoken)) + extra


def number_mismatch(question: str, transcript: str) -> str:
    """'' when every number of the question is heard (as often as said), else what is missing."""
    missing = expected_numbers(question) - heard_numbers(transcript)
    if not missing:
        return ""
    return "missing " + ", ".join(sorted(missing.elements(), key=lambda v: (len(v), v)))


class Transcriber(WhisperTranscriber):
    """The round trip's listener: Whisper tiny.en primed with spoken arithmetic."""

    def __init__(self, threads: int = 1):
        super().__init__(threads=threads, prompt=PROMPT)
