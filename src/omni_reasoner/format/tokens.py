"""Special tokens of the interleaved stream, and the unit pre-tokenizer.

Schedules count tokens ("speak 2, think 8"), so they need a notion of token before any
model tokenizer exists. A *unit* is that notion: every digit is one unit, every word is
one unit, every other symbol is one unit, and a unit keeps its leading space, so
`join_units(split_units(t)) == normalize_text(t)` exactly. The tiny Thinker's tokenizer
uses units as its pre-tokens; a real backbone re-schedules with its own tokenizer,
since the scheduler works on any token sequence.
"""

from __future__ import annotations

import re

QUESTION = "<question>"  # opens the prompt
ANSWER = "<answer>"  # closes the prompt: generation starts after it
SPEAK = "<speak>"  # what follows belongs to the spoken stream
THINK = "<think>"  # what follows belongs to the silent reasoning stream
THINK_END = "<think_end>"  # the reasoning is complete (last token of the reasoning stream)
PAD = "<pad>"  # fills a reasoning slot after the reasoning ended (forced, never learned)
WAIT = "<wait>"  # a spoken slot held silent because the reasoning is not there yet
EOS = "<eos>"  # ends the response and the stream

SPECIAL_TOKENS = (QUESTION, ANSWER, SPEAK, THINK, THINK_END, PAD, WAIT, EOS)

# Audio prompts (stages 1, 2, 4 and the e2e path). Kept out of SPECIAL_TOKENS so text-only
# checkpoints stay valid; audio stages add them with `add_special_tokens(..., extra=AUDIO_TOKENS)`.
AUDIO_START = "<audio>"  # the question's audio embeddings follow
AUDIO_END = "</audio>"  # the audio ended
TRANSCRIBE = "<transcribe>"  # closes an audio prompt instead of <answer>: say what was heard
AUDIO_TOKENS = (AUDIO_START, AUDIO_END, TRANSCRIBE)
SWITCH_TOKENS = frozenset({SPEAK, THINK})

_UNIT = re.compile(r" ?(?:\d|[A-Za-z]+|[^\sA-Za-z\d])")
_SPACE = re.compile(r"\s+")


def normalize_text(text: str) -> str:
    """Single spaces, no leading or trailing space: the form every stream round-trips to."""
    return _SPACE.sub(" ", text).strip()


def split_units(text: str) -> list[str]:
    text = normalize_text(text)
    units = _UNIT.findall(text)
    if units:
        units[0] = units[0].lstrip(" ")
    return units


def join_units(units: list[str]) -> str:
    return "".join(units).strip()


def count_units(text: str) -> int:
    return len(split_units(text))


def check_plain_text(text: str, what: str) -> str:
    """Reject text that smuggles special tokens in: they would corrupt the stream."""
    if not isinstance(text, str):
        raise TypeError(f"{what} must be a string, got {type(text).__name__}")
    for token in (*SPECIAL_TOKENS, *AUDIO_TOKENS):
        if token in text:
            raise ValueError(f"{what} contains the reserved token {token!r}")
    return text
