"""Training-time wording noise: what it adds, what it must never touch, and where it is not."""

import dataclasses
import re

import pytest

from omni_reasoner.data import phrasings
from omni_reasoner.train import wording_noise as W
from omni_reasoner.train.config import TrainConfigError, train_config_from_dict
from omni_reasoner.train.examples import pick_question

QUESTIONS = [
    "Maya has 12 apples and gives 5 to Tom. How many apples does Maya have left?",
    "Sarah has twelve pencils and buys three boxes of four pencils each. How many pencils does she have now?",
    "What is nine hundred eighty-two minus thirty-nine?",
    "Subtract 198 from 941: what is left?",
    "56 plus 939 =",
    "Fifty-six plus nine hundred thirty-nine equals",
    "I have two and a half dollars. How much is that in cents?",
    "Evaluate 979 - 314.",
]
NUMBER = re.compile(
    r"^(\d[\d,.]*|zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|"
    r"fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|"
    r"seventy|eighty|ninety|hundred|thousand|million|half)$"
)


def words(text: str) -> list[str]:
    return [w.strip(",.?!:").lower() for w in text.split() if w.strip(",.?!:")]


def numbers(text: str) -> list[str]:
    return [p for w in words(text) for p in w.split("-") if NUMBER.match(p)]


def is_subsequence(short: list[str], long: list[str]) -> bool:
    rest = iter(long)
    return all(any(w == x for x in rest) for w in short)


def test_no_share_no_change():
    for q in QUESTIONS:
        assert W.add_wording_noise(q, "id:0", 0.0) == q


def test_every_chosen_question_changes_and_the_choice_is_repeatable():
    for q in QUESTIONS:
        for epoch in range(20):
            noisy = W.add_wording_noise(q, f"x:{epoch}", 1.0)
            assert noisy != q
            assert noisy == W.add_wording_noise(q, f"x:{epoch}", 1.0)


def test_share_is_about_the_share():
    changed = sum(
        W.add_wording_noise(QUESTIONS[0], f"i{k}:0", 0.3) != QUESTIONS[0] for k in range(2000)
    )
    assert 0.25 < changed / 2000 < 0.35


def test_nothing_is_removed_and_no_number_is_added_or_split():
    for q in QUESTIONS:
        for epoch in range(50):
            noisy = W.add_wording_noise(q, f"q:{epoch}", 1.0)
            assert is_subsequence(words(q), words(noisy)), (q, noisy)
            assert numbers(noisy) == numbers(q), (q, noisy)
            # a number said in words stays one run of words: no filler lands inside it
            for run in re.findall(
                r"(?:[a-z]+-)?[a-z]+(?: (?:hundred|thousand)(?: [a-z-]+)?)+", q.lower()
            ):
                assert run in noisy.lower(), (run, noisy)


def test_a_lead_in_lowers_the_first_word_but_not_a_name():
    name_kept = word_lowered = False
    for epoch in range(200):
        noisy = W.add_wording_noise(QUESTIONS[0], f"n:{epoch}", 1.0)
        if not noisy.startswith("Maya"):
            assert "maya" not in noisy
            name_kept = True
        noisy = W.add_wording_noise(QUESTIONS[2], f"n:{epoch}", 1.0)
        if not noisy.startswith("What"):
            assert "What" not in noisy and "what" in noisy
            word_lowered = True
    assert name_kept and word_lowered


def _tier_texts(heldout: bool) -> list[str]:
    """Every string inside a phrasing object of the held-out tiers (dev, test), or of training."""
    out: list[str] = []

    def visit(value, inside: bool) -> None:
        tier = getattr(value, "heldout", None) if dataclasses.is_dataclass(value) else None
        if tier is not None:  # the innermost object with a tier decides
            inside = (tier != phrasings.TRAIN) == heldout
        if isinstance(value, str):
            if inside:
                out.append(value.lower())
        elif isinstance(value, tuple | list | dict):
            for v in value.values() if isinstance(value, dict) else value:
                visit(v, inside)
        elif dataclasses.is_dataclass(value):
            for f in dataclasses.fields(value):
                visit(getattr(value, f.name), inside)

    for name in dir(phrasings):
        if name.isupper():
            visit(getattr(phrasings, name), inside=False)
    return out


def test_no_filler_comes_from_the_heldout_wording():
    held, train = _tier_texts(heldout=True), _tier_texts(heldout=False)
    assert len(held) > 20 and len(train) > 100  # the tiers are there to compare with
    for filler in (*W.LEAD_INS, *W.TAGS, *W.INLINE):
        said = re.compile(rf"\b{re.escape(filler.lower())}\b")
        if any(said.search(text) for text in held):
            # only an everyday word the training wording already has ("so") may be shared
            assert " " not in filler and any(said.search(text) for text in train), filler


def test_pick_question_adds_noise_per_epoch():
    row = {"id": "train:x", "question": QUESTIONS[0], "question_spoken": QUESTIONS[1]}
    assert pick_question(row, "written", 3) == QUESTIONS[0]
    noisy = {pick_question(row, "written", epoch, noise=1.0) for epoch in range(10)}
    assert QUESTIONS[0] not in noisy and len(noisy) > 5


@pytest.mark.parametrize("share", [-0.1, 1.5, "lots"])
def test_bad_share_is_a_config_error(share):
    with pytest.raises(TrainConfigError, match="question_noise"):
        train_config_from_dict({"question_noise": share})
