"""Spoken-MQA-style answer extraction and scoring."""

import pytest

from omni_reasoner.eval.scoring import drop_extra_zeros, extract_answer, is_correct


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("So she has seventy-two clips. The answer is 72.", "72"),
        ("First 12, then 5. The answer is 7, not 12.", "7"),  # the first number after the trigger
        ("The answer is 3. Wait. The answer is 4.", "4"),  # the last trigger wins
        ("It comes to 1,250 dollars.", "1250"),  # no trigger: the last number, commas dropped
        ("The answer is 3.50.", "3.5"),
        ("The answer is 4.0", "4"),
        ("The answer is -6.", "-6"),
        ("#### 18", "18"),
        ("The answer is seven.", None),  # words only score nothing, as in Spoken-MQA
        ("", None),
    ],
)
def test_extract_answer(text, answer):
    assert extract_answer(text) == answer


def test_is_correct_normalises_the_reference():
    assert is_correct("1250", "1,250")
    assert is_correct("4", "4.00")
    assert not is_correct("41", "4")
    assert not is_correct(None, "4")


def test_a_runaway_number_does_not_crash():
    runaway = "9" * 400  # float() of it is infinite
    assert drop_extra_zeros(runaway) == runaway
    assert extract_answer(f"The answer is {runaway}") == runaway
    assert not is_correct(runaway, "7")
