"""Numbers in digits and words, and the anticipation-drift checker."""

from __future__ import annotations

import random

import pytest

from omni_reasoner.format import build_stream, drift_rate, find_drift, split_units
from omni_reasoner.format.numbers import canonical, find_numbers, number_to_words, number_values
from omni_reasoner.format.tokens import SPEAK, THINK, THINK_END


@pytest.mark.parametrize(
    "value, words",
    [
        (0, "zero"),
        (7, "seven"),
        (72, "seventy-two"),
        (100, "one hundred"),
        (305, "three hundred five"),
        (1250, "one thousand two hundred fifty"),
        (2_000_017, "two million seventeen"),
        ("-3", "minus three"),
        ("3.05", "three point zero five"),
        ("1,000", "one thousand"),
    ],
)
def test_number_to_words(value, words):
    assert number_to_words(value) == words


def test_number_words_parse_back_for_many_values():
    rng = random.Random(0)
    values = list(range(0, 1200)) + [rng.randint(0, 10**9) for _ in range(500)]
    for v in values:
        said = number_to_words(v)
        assert [m.value for m in find_numbers(f"so it is {said} apples")] == [str(v)], said


def test_find_numbers_digits_words_and_operators():
    text = "Tom had 1,250 pears and twenty-four apples; 5-3=2, three hundred and five, 3.5 kg, minus seven."
    assert [m.value for m in find_numbers(text)] == [
        "1250",
        "24",
        "5",
        "3",
        "2",
        "305",
        "3.5",
        "-7",
    ]
    assert number_values("The answer is 72.") == {"72"}
    assert number_values("no numbers here") == set()
    assert [m.value for m in find_numbers("three twenty")] == ["3", "20"]


def test_canonical():
    assert canonical("72.0") == "72"
    assert canonical("0.50") == "0.5"
    assert canonical("1,000") == "1000"
    assert canonical("-0") == "0"
    assert canonical("abc") == "abc"
    with pytest.raises(ValueError):
        number_to_words("abc")


def _stream(chunks):
    out = []
    for mode, text in chunks:
        out.append(mode)
        out.extend(split_units(text) if text != THINK_END else [THINK_END])
    return out


def test_drift_found_when_speech_states_a_result_early():
    stream = _stream(
        [
            (SPEAK, "It is seventy-two"),
            (THINK, "<<48+24=72>>"),
            (SPEAK, ". The answer is 72."),
            (SPEAK, ""),
        ]
    )
    events = find_drift(stream, "She sold 48 and then 24 more.")
    assert [e.value for e in events] == ["72"]
    assert events[0].derived_at is not None and events[0].derived_at > events[0].stream_index


def test_no_drift_when_reasoning_comes_first_or_question_states_it():
    q = "She sold 48 and then 24 more."
    stream = _stream(
        [
            (THINK, "<<48+24=72>>"),
            (SPEAK, "She sold forty-eight first. It is seventy-two. The answer is 72."),
        ]
    )
    assert find_drift(stream, q) == []


def test_half_written_reasoning_number_supports_nothing():
    # "2" of "24" is on the page, "4" is not yet: saying "two" drifts, "twenty-four" later does not.
    stream = [THINK, "2", SPEAK, " two", THINK, "4", SPEAK, " twenty", "-", "four"]
    assert [e.value for e in find_drift(stream)] == ["2"]


def test_number_never_derived_is_drift():
    stream = _stream([(THINK, "<<2+2=4>>"), (SPEAK, "The answer is 5.")])
    events = find_drift(stream)
    assert [(e.value, e.derived_at) for e in events] == [("5", None)]


def test_drift_rate_counts_items():
    good = (_stream([(THINK, "<<1+1=2>>"), (SPEAK, "The answer is 2.")]), "")
    bad = (_stream([(SPEAK, "The answer is 2."), (THINK, "<<1+1=2>>")]), "")
    assert drift_rate([good, bad, good, good]) == 0.25
    assert drift_rate([]) == 0.0


def test_injected_drift_is_found_in_random_streams():
    """Property: plant a result in the speech before its derivation; the checker must find it."""
    rng = random.Random(1)
    for _ in range(300):
        a, b = rng.randint(10, 500), rng.randint(10, 500)
        total = a + b
        q = f"Add {a} and {b}."
        reasoning = split_units(f"<<{a}+{b}={total}>>")
        early = split_units(f"It is {number_to_words(total)}. The answer is {total}.")
        late = split_units(
            f"Hmm, let me think about this carefully, okay, alright, so here goes, the answer is {total}."
        )
        assert find_drift(build_stream(reasoning, early, "interleave:2:8", q), q)
        assert find_drift(build_stream(reasoning, early, "answer-only", q), q)
        assert not find_drift(build_stream(reasoning, early, "think-first", q), q)
        assert not find_drift(build_stream(reasoning, late, "interleave:2:8+lead:16", q), q)
