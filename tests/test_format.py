"""The scheduler, the parser and the loss masks, under every schedule."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from omni_reasoner.format import (
    DEFAULT_SCHEDULES,
    Schedule,
    ScheduleError,
    build_stream,
    find_drift,
    join_units,
    loss_mask,
    normalize_text,
    parse_schedule,
    parse_stream,
    split_units,
)
from omni_reasoner.format.schedule import forced_tokens, response_needs
from omni_reasoner.format.tokens import EOS, PAD, SPEAK, THINK, THINK_END, WAIT, check_plain_text

QUESTION = "Tom has 12 apples and gives 5 to Sam. How many apples does he have left?"
REASONING = "<<12-5=7>>"
RESPONSE = "Hmm, okay, let me think about this one step at a time. He has seven apples left. The answer is 7."

ALL_SCHEDULES = [
    *DEFAULT_SCHEDULES,
    "interleave:1:4",
    "interleave:4:6",
    "interleave:1:1",
    "interleave:3:5+lead:4",
    "interleave:2:8+lead:16+nopad",
    "interleave:4:6+nopad+lead:2",
    "aligned:1:3",
]


@pytest.mark.parametrize("text", ALL_SCHEDULES)
def test_schedule_names_round_trip(text):
    schedule = parse_schedule(text)
    assert parse_schedule(schedule.name) == schedule


def test_schedule_defaults():
    assert parse_schedule("interleave") == Schedule("interleave", 2, 8, 0, True)
    assert parse_schedule("aligned") == Schedule("aligned", 2, 8)
    assert parse_schedule("interleave:2:8+nopad+lead:3").name == "interleave:2:8+lead:3+nopad"


@pytest.mark.parametrize(
    "bad",
    [
        "interleave:0:8",
        "interleave:2:0",
        "interleave:two:eight",
        "interleave:2",
        "interleave:2:8+lead",
        "interleave:2:8+lead:x",
        "interleave:2:8+nopad+nopad",
        "interleave:2:8+fast",
        "think-first:3",
        "answer-only+nopad",
        "aligned+nopad",
        "speak-first",
        "",
        "  ",
    ],
)
def test_bad_schedules_raise_one_line(bad):
    with pytest.raises(ScheduleError) as err:
        parse_schedule(bad)
    message = str(err.value)
    assert "\n" not in message
    assert "schedule" in message


def _streams():
    r, s = split_units(REASONING), split_units(RESPONSE)
    return {name: build_stream(r, s, name, question=QUESTION) for name in ALL_SCHEDULES}


@pytest.mark.parametrize("name", ALL_SCHEDULES)
def test_round_trip_gives_back_the_texts(name):
    parsed = parse_stream(_streams()[name])
    assert parsed.problems == []
    assert parsed.ended
    assert parsed.spoken_text == normalize_text(RESPONSE)
    if name != "answer-only":
        assert parsed.reasoning_text == REASONING
        assert parsed.reasoning_ended


def test_layouts():
    streams = _streams()
    assert streams["answer-only"][0] == SPEAK and streams["answer-only"][-1] == EOS
    assert THINK not in streams["answer-only"]
    tf = streams["think-first"]
    assert tf[0] == THINK and tf.index(THINK_END) < tf.index(SPEAK)
    # The paper's 2:8 opens with two spoken tokens, then eight reasoning slots.
    il = streams["interleave:2:8"]
    assert il[:3] == [SPEAK, "Hmm", ","] and il[3] == THINK and il[12] == SPEAK
    # Every think chunk holds exactly 8 slots, padded once the reasoning ended.
    chunks = _chunks(il)
    assert all(len(body) == 8 for mode, body in chunks if mode == THINK)
    assert all(len(body) == 2 for mode, body in chunks[:-1] if mode == SPEAK)
    assert PAD in il
    # +lead:16 starts by thinking 16 tokens.
    lead = streams["interleave:2:8+lead:16"]
    assert lead[0] == THINK and lead[17] == SPEAK
    # +nopad: no <pad> at all, and after the reasoning ended one spoken run to <eos>.
    nopad = streams["interleave:2:8+nopad"]
    assert PAD not in nopad
    assert _chunks(nopad)[-1][0] == SPEAK and nopad[-1] == EOS
    assert len(nopad) < len(il)


def _chunks(stream):
    chunks = []
    for token in stream:
        if token in (SPEAK, THINK):
            chunks.append((token, []))
        else:
            chunks[-1][1].append(token)
    return chunks


def test_wait_fills_spoken_slots_when_speech_runs_out_first():
    r = split_units("<<1+2=3>> <<3*4=12>> <<12*5=60>> <<60-1=59>>")
    s = split_units("The answer is 59.")
    stream = build_stream(r, s, "interleave:2:8")
    assert WAIT in stream
    assert stream.index(THINK_END) < stream.index(EOS)
    parsed = parse_stream(stream)
    assert parsed.spoken_text == "The answer is 59." and parsed.reasoning_text == join_units(r)


def test_loss_mask_hides_prompt_pads_forced_switches_and_calculator_results():
    streams = _streams()
    il = streams["interleave:2:8"]
    mask = loss_mask(il, "interleave:2:8")
    assert len(mask) == len(il)
    for token, m in zip(il, mask, strict=True):
        if token in (PAD, SPEAK, THINK):
            assert m == 0
        if token in (EOS, THINK_END, "Hmm"):
            assert m == 1
    # calculator: "<<12-5=" is learned, "7>>" is computed by the engine.
    reasoning_positions = [
        i for i, t in enumerate(il) if t in ("<", "1", "2", "-", "5", "=", "7", ">")
    ][:10]
    learned = [il[i] for i in reasoning_positions if mask[i]]
    computed = [il[i] for i in reasoning_positions if not mask[i]]
    assert learned == ["<", "<", "1", "2", "-", "5", "="] and computed == ["7", ">", ">"]
    # aligned: the model chooses the switches, so they are learned.
    al = streams["aligned"]
    al_mask = loss_mask(al, "aligned")
    assert all(m == 1 for t, m in zip(al, al_mask, strict=True) if t in (SPEAK, THINK))
    assert loss_mask(al, "aligned", calculator=False).count(0) == 0
    assert forced_tokens(il, "interleave:2:8") == [
        m == 0 for m in loss_mask(il, "interleave:2:8", calculator=False)
    ]


def test_parser_tolerates_malformed_streams():
    cases = {
        "no markers": ["Hello", " there", EOS],
        "no eos": [SPEAK, "Hi", THINK, "1", "+"],
        "after eos": [SPEAK, "Hi", EOS, " more"],
        "double think end": [THINK, "x", THINK_END, THINK_END, SPEAK, "Hi", EOS],
        "unknown special": [SPEAK, "<foo>", "Hi", EOS],
        "empty": [],
    }
    for name, stream in cases.items():
        parsed = parse_stream(stream)
        assert parsed.problems, name
    assert parse_stream(cases["no markers"]).spoken_text == "Hello there"
    assert parse_stream(cases["after eos"]).spoken_text == "Hi"
    assert parse_stream(cases["no eos"]).reasoning_text == "1+"


def test_units_round_trip_and_digits_are_single_units():
    text = "  Natalia sold 48/2 = 24 clips,   and $12.50 — it's 3:30. "
    units = split_units(text)
    assert join_units(units) == normalize_text(text)
    assert [u for u in units if u.strip().isdigit()] == [
        u for u in units if len(u.strip()) == 1 and u.strip().isdigit()
    ]
    assert split_units("123") == ["1", "2", "3"]


def test_plain_text_rejects_reserved_tokens():
    with pytest.raises(ValueError, match="reserved token"):
        check_plain_text("say <eos> now", "response")
    with pytest.raises(TypeError):
        check_plain_text(None, "response")


_words = st.sampled_from(
    [
        "the",
        "apples",
        "Tom",
        "has",
        "so",
        "okay",
        "left",
        "math",
        "answer",
        "is",
        ",",
        ".",
        "7",
        "12",
        "3",
    ]
)


@settings(max_examples=200, deadline=None)
@given(
    reasoning=st.lists(_words, max_size=40),
    response=st.lists(_words, min_size=0, max_size=30),
    speak=st.integers(1, 5),
    think=st.integers(1, 10),
    lead=st.integers(0, 12),
    pad=st.booleans(),
)
def test_round_trip_property(reasoning, response, speak, think, lead, pad):
    r, s = split_units(" ".join(reasoning)), split_units(" ".join(response))
    for schedule in (
        Schedule("interleave", speak, think, lead, pad),
        Schedule("aligned", speak, think),
        "think-first",
    ):
        stream = build_stream(r, s, schedule)
        parsed = parse_stream(stream)
        assert parsed.problems == []
        assert parsed.spoken_text == join_units(s)
        assert parsed.reasoning_text == join_units(r)
        assert stream[-1] == EOS and stream.count(EOS) == 1
        assert stream.count(THINK_END) == 1


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 10_000), speak=st.integers(1, 4), think=st.integers(1, 10))
def test_aligned_never_drifts(seed, speak, think):
    rng = random.Random(seed)
    a, b = rng.randint(2, 999), rng.randint(2, 99)
    c = a + b
    d = c * rng.randint(2, 9)
    question = f"Start with {a} and add {b}, then multiply."
    reasoning = split_units(f"<<{a}+{b}={c}>> <<{c}*{d // c}={d}>>")
    response = split_units(f"{c} first, and then {d}. Let me check, {c} again. The answer is {d}.")
    stream = build_stream(reasoning, response, Schedule("aligned", speak, think), question=question)
    assert find_drift(stream, question) == []
    # the same triple, interleaved on a fixed grid with no lead-in, does drift
    assert find_drift(
        build_stream(reasoning, response, "interleave:2:8", question=question), question
    )


def test_response_needs_are_monotone_and_point_at_derivations():
    r = split_units("<<12-5=7>>")
    s = split_units("He has 12, so seven. The answer is 7.")
    needs = response_needs(QUESTION, r, s)
    assert needs == sorted(needs)
    assert needs[s.index(" 1")] == 0  # 12 is in the question
    assert needs[s.index(" seven")] == r.index("7") + 1
