"""Anticipation drift: the spoken stream states a number before anything supports it.

The paper prevents drift only through data construction and a GPT check. Here it is
measured: a spoken number drifts when neither the question nor the reasoning written
*so far in the stream* contains it. A reasoning number counts from its last digit on
(a half-written "2" of "24" supports nothing).
"""

from __future__ import annotations

from dataclasses import dataclass

from omni_reasoner.format.numbers import find_numbers
from omni_reasoner.format.tokens import EOS, PAD, SPEAK, SWITCH_TOKENS, THINK, THINK_END, WAIT


@dataclass(frozen=True)
class DriftEvent:
    value: str  # canonical number
    stream_index: int  # where the spoken number starts
    derived_at: int | None  # where the reasoning first completes it; None if never


def _stream_texts(stream: list[str]) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    spoken: list[tuple[int, str]] = []
    reasoning: list[tuple[int, str]] = []
    mode = SPEAK  # content before any switch token is heard, as parse_stream reads it
    for index, token in enumerate(stream):
        if token == EOS:
            break
        if token in SWITCH_TOKENS:
            mode = token
        elif token in (PAD, WAIT, THINK_END):
            continue
        else:
            (reasoning if mode == THINK else spoken).append((index, token))
    return spoken, reasoning


def _mentions(units: list[tuple[int, str]]):
    """Numbers in the joined text, each with the stream index of its first and last unit."""
    text, owner = "", []
    for index, unit in units:
        text += unit
        owner.extend([index] * len(unit))
    for m in find_numbers(text):
        yield m.value, owner[m.start], owner[m.end - 1]


def find_drift(stream: list[str], question: str = "") -> list[DriftEvent]:
    """Every spoken number that comes before the question or the reasoning supports it."""
    known = {m.value for m in find_numbers(question)}
    spoken, reasoning = _stream_texts(stream)
    derived: dict[str, int] = {}
    for value, _, last in _mentions(reasoning):
        derived.setdefault(value, last)
    events = []
    for value, first, _ in _mentions(spoken):
        if value in known:
            continue
        at = derived.get(value)
        if at is None or at > first:
            events.append(DriftEvent(value, first, at))
    return events


def drift_rate(items: list[tuple[list[str], str]]) -> float:
    """Share of (stream, question) pairs with at least one drifting number."""
    if not items:
        return 0.0
    return sum(1 for stream, question in items if find_drift(stream, question)) / len(items)
