import random
import re

import pytest

from omni_reasoner.data.problem import Problem
from omni_reasoner.data.responses import CLAIMS, FILLERS, OPENERS, compose_response, lead_in
from omni_reasoner.format.numbers import find_numbers, number_to_words

# Words that say a quantity without being a number word find_numbers knows.
QUANTITY_WORDS = {
    "first", "second", "third", "fourth", "fifth", "half", "halves", "quarter", "couple",
    "pair", "dozen", "once", "twice", "thrice", "double", "triple", "single", "both",
    "zero", "none", "hundred", "thousand", "million",
}  # fmt: skip


def problem(answer: str, unit: str = "") -> Problem:
    return Problem("q", answer, [], "multi_step", "test", "test", "0", answer_unit=unit)


def words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]+", text.lower()))


@pytest.mark.parametrize(
    "answer, unit, said",
    [
        ("72", "clips", "seventy-two clips"),
        ("1", "apples", "one apple"),
        ("1", "boxes", "one box"),
        ("0.375", "", "zero point three seven five"),
        ("-3", "dollars", "minus three dollars"),
        ("85000", "", "eighty-five thousand"),
    ],
)
def test_response_says_the_answer_then_the_final_sentence(answer, unit, said):
    response = compose_response(problem(answer, unit), random.Random(3))
    body, final = response.rsplit(". ", 1)
    assert final == f"The answer is {answer}."
    assert said in body
    assert not re.search(r"\d", body)
    assert {m.value for m in find_numbers(response)} == {answer}


def test_non_canonical_answer_is_written_canonically():
    assert compose_response(problem("1,200.50"), random.Random(0)).endswith("The answer is 1200.5.")


def test_templates_and_fillers_state_no_number():
    for text in OPENERS + CLAIMS + FILLERS:
        template = text.replace("{n}", "")
        assert find_numbers(template) == [], text
        assert not words(template) & QUANTITY_WORDS, text
    assert len(set(FILLERS)) == len(FILLERS) >= 30


def test_response_is_deterministic_and_varied():
    problems = [problem(str(n), "apples" if n % 2 else "") for n in range(200)]
    first = [compose_response(p, random.Random(i)) for i, p in enumerate(problems)]
    again = [compose_response(p, random.Random(i)) for i, p in enumerate(problems)]
    assert first == again
    shapes = {
        r.replace(number_to_words(p.answer), "N").replace(p.answer + ".", "N.")
        for p, r in zip(problems, first, strict=True)
    }
    assert len(shapes) >= 10
    assert len(set(first)) >= 150


def count_words(text: str) -> int:
    return len(text.split())


def test_lead_in_reaches_the_budget_without_repeats():
    rng = random.Random(5)
    assert lead_in(0, rng, count_words) == ""
    text = lead_in(20, rng, count_words)
    assert 20 <= count_words(text) < 20 + max(count_words(f) for f in FILLERS)
    used = [f for f in FILLERS if f in text]
    assert len(used) == len(set(used))
    assert find_numbers(text) == []
    # past the whole list it starts over, but never says the same filler twice in a row
    long = lead_in(sum(count_words(f) for f in FILLERS) * 2 + 5, random.Random(1), count_words)
    parts = [part.strip() for part in re.findall(r"[^.]+\.", long)]
    assert len(parts) > len(FILLERS)
    assert all(a != b for a, b in zip(parts, parts[1:], strict=False))
    assert lead_in(20, random.Random(9), count_words) == lead_in(20, random.Random(9), count_words)


def test_lead_in_rejects_a_counter_that_counts_nothing():
    with pytest.raises(ValueError, match="no tokens"):
        lead_in(5, random.Random(0), lambda text: 0)
