"""Training-time wording noise: fillers around and inside the question.

The generator's wording is finite, and a small Thinker trained on it learns that every word
of a question matters; put a lead-in or a tag it never saw around a known question ("here
is my question: ...", "..., do you think?") and it fails. Users say "um", start with "okay
so" and end with "thanks". With `question_noise: P` in a training config, a share P of the
items of each epoch get one to three such insertions (a chosen item changes from epoch to
epoch; the choice is a function of the item id and the epoch, so a resumed run sees the
same questions). Number words are never split, and nothing that carries the arithmetic is
removed or replaced: the stream the model must produce stays correct.

The pools below are written for training only. None of them may occur in the held-out
wording tiers (`data/phrasings.py`): `tests/test_wording_noise.py` checks it.
"""

from __future__ import annotations

import hashlib
import random
import re

from omni_reasoner.data.phrasings import NAMES

# openers said before the question: capitalised and followed by a comma
LEAD_INS = (
    "okay", "alright", "hey", "hi", "hello", "right", "so", "so um", "okay so", "well",
    "um", "uh", "hmm", "listen", "try this", "this is tricky",
    "for my homework", "my teacher gave us this", "a little puzzle", "math time",
    "got a question for you", "quick question", "let me ask you", "sorry", "hmm okay",
    "this is from my worksheet", "bear with me", "it goes like this", "riddle time",
)  # fmt: skip
# tags said after the question, before its final mark
TAGS = (
    "please", "thanks", "thank you", "if you can", "okay", "right", "by the way",
    "if you don't mind", "no rush", "cheers", "real quick", "I guess",
    "I think", "for my class", "if you would", "for my sister",
)  # fmt: skip
# disfluencies said between words
INLINE = ("um", "uh", "er", "erm", "hmm", "you know", "I mean", "well", "so", "basically")

# words the fillers never split or follow into: numbers and their joints
_NUMBERISH = re.compile(
    r"^(\d[\d,.]*|zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
    r"thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|"
    r"fifty|sixty|seventy|eighty|ninety|hundred|thousand|million|billion|point|and|a|half|"
    r"quarter|third|thirds|quarters|halves)$"
)
_PIECES = ("b", "bl", "d", "dr", "f", "g", "gr", "k", "m", "n", "p", "pl", "s", "t", "v", "z")
_VOWELS = ("a", "e", "i", "o", "u", "oo", "ai")
_KEEP_CAPITAL = re.compile(r"^(I|I'm|I'd|I've|[A-Z][a-z]+'s)$")
_NAMES = frozenset(name for name, _ in NAMES)


def _numberish(word: str) -> bool:
    core = word.strip(".,;:!?\"'()").lower()
    return any(_NUMBERISH.match(part) for part in core.split("-") if part) or not core


def _made_up_word(rng: random.Random) -> str:
    """A filler that is no word at all, so that no filler is ever read as meaning."""
    return "".join(rng.choice(_PIECES) + rng.choice(_VOWELS) for _ in range(rng.choice((1, 2))))


def _lead_in(question: str, rng: random.Random) -> str:
    first, _, rest = question.partition(" ")
    if first not in _NAMES and not _KEEP_CAPITAL.match(first) and not first.isupper():
        first = first[:1].lower() + first[1:]
    opener = rng.choice(LEAD_INS)
    return f"{opener[:1].upper()}{opener[1:]}, {first} {rest}".rstrip()


def _tag(question: str, rng: random.Random) -> str:
    body = question.rstrip()
    mark = body[-1] if body and body[-1] in ".?!" else ""
    body = body[: len(body) - len(mark)] if mark else body
    if body.rstrip()[-1:] in ("=", "+", "-", "*", "/", "x", "\u00d7", "\u00f7", ":"):
        return question  # an equation to complete: a tag would sit in its blank
    return f"{body}, {rng.choice(TAGS)}{mark or '?'}"


def _inline(question: str, rng: random.Random) -> str:
    words = question.split(" ")
    gaps = [
        i for i in range(1, len(words)) if not _numberish(words[i - 1]) and not _numberish(words[i])
    ]
    if not gaps:
        return question
    at = rng.choice(gaps)
    filler = _made_up_word(rng) if rng.random() < 0.25 else rng.choice(INLINE)
    comma = "," if rng.random() < 0.5 else ""
    return " ".join([*words[:at], f"{filler}{comma}", *words[at:]])


def add_wording_noise(question: str, key: str, share: float) -> str:
    """The question with fillers for a `share` of keys (item id + epoch), else unchanged."""
    if share <= 0 or not question.strip():
        return question
    seed = int.from_bytes(hashlib.blake2b(f"{key}:noise".encode(), digest_size=8).digest(), "big")
    rng = random.Random(seed)
    if rng.random() >= share:
        return question
    original = question
    kinds = rng.sample(("lead", "tag", "inline", "inline"), k=rng.choice((1, 1, 2, 3)))
    for kind in kinds:
        if kind == "lead":
            question = _lead_in(question, rng)
        elif kind == "tag":
            question = _tag(question, rng)
        else:
            question = _inline(question, rng)
    # "56 plus 939 =" has no gap for a filler and no place for a tag; a lead-in always fits
    return _lead_in(question, rng) if question == original else question
