"""The phrase policy, the speaking engine on the shipped model, and `ask --out`."""

from __future__ import annotations

import asyncio
import io
import json
import os
import re
import threading
import wave

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from omni_reasoner.cli import main
from omni_reasoner.format.tokens import EOS, SPECIAL_TOKENS, THINK
from omni_reasoner.infer.phrases import (
    PhrasePolicy,
    count_words,
    is_speakable,
    opening_phrases,
    split_phrases,
)
from omni_reasoner.infer.speaking import playback_stalls, speak, speak_answer, write_wav
from omni_reasoner.model.talker import TalkerError, load_talker

QUESTION = "Tom has twelve apples and gives five to Sam. How many does he have left?"
REASONING_ONLY = ("<<", ">>", "<think>", "<speak>", "=")

# ---- the phrase policy -------------------------------------------------------------------

texts = st.text(alphabet="ab7 .,;:!?-\n", max_size=120)


def cut_into_pieces(text: str, cuts: list[int]) -> list[str]:
    points = sorted({c % (len(text) + 1) for c in cuts})
    bounds = [0, *points, len(text)]
    return [text[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]


@settings(max_examples=300, deadline=None)
@given(texts, st.lists(st.integers(min_value=0), max_size=40))
def test_phrases_give_back_the_text_and_do_not_depend_on_the_pieces(text, cuts):
    pieces = cut_into_pieces(text, cuts)
    assert "".join(pieces) == text
    phrases = split_phrases(pieces)
    assert " ".join(phrases).split() == text.split()  # exact, modulo whitespace
    assert all(p and p == p.strip() for p in phrases)  # no empty phrases, no edge spaces
    assert phrases == split_phrases([text])  # the same cuts however the text arrived
    assert all(is_speakable(p) for p in phrases[:-1])  # only the remainder may be bare


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["one", "two", "7", ",", ".", "!", " ", "  "]), max_size=80))
def test_phrases_respect_the_word_budgets(pieces):
    policy = PhrasePolicy(first_words=3, max_words=8)
    phrases = split_phrases(pieces, policy)
    if phrases:
        assert count_words(phrases[0]) <= 3
    assert all(count_words(p) <= 8 for p in phrases[1:])


def test_the_first_phrase_goes_out_at_the_first_comma_or_after_three_words():
    assert split_phrases(["So", ",", " when", " it", " all"])[0] == "So,"
    policy = PhrasePolicy()
    assert policy.feed("The answer is") == []  # "is" may still grow: wait for a space
    assert policy.feed(" seven") == ["The answer is"]


def test_later_phrases_end_at_sentences_and_long_clauses():
    text = "So, when it all comes together, it should be seven apples. The answer is 7."
    pieces = text.split(" ")
    pieces = [pieces[0], *(" " + p for p in pieces[1:])]
    assert split_phrases(pieces) == [
        "So,",
        "when it all comes together,",
        "it should be seven apples.",
        "The answer is 7.",
    ]


def test_a_decimal_point_is_not_a_phrase_end():
    assert split_phrases(["Yes, the price is ", "7", ".", "5", " dollars."]) == [
        "Yes,",
        "the price is 7.5 dollars.",
    ]


def test_a_pause_ends_a_word_that_ends_in_a_mark_after_a_letter():
    policy = PhrasePolicy()
    assert policy.feed("So") == [] and policy.feed(",") == []
    assert policy.pause() == ["So,"]  # the stream stopped for reasoning: "So," is complete
    assert policy.pause() == []
    assert policy.feed(" the price is 7") == [] and policy.feed(".") == []
    assert policy.pause() == []  # "7." may still become "7.5"
    assert policy.feed("5 dollars") == [] and policy.feed(".") == []
    assert policy.pause() == ["the price is 7.5 dollars."]
    assert policy.feed(" When it") == [] and policy.feed(",") == []
    assert policy.pause() == []  # a clause mark cuts a later phrase only at 4 words
    assert policy.flush() == ["When it,"]


def test_opening_phrases_are_the_cuts_of_the_number_free_talk():
    phrases = opening_phrases()
    assert {"So,", "Hmm,", "Let me think"} <= set(phrases)
    assert len(phrases) == len(set(phrases)) and all(is_speakable(p) for p in phrases)
    assert not any(ch.isdigit() for p in phrases for ch in p)
    assert "Let me" in opening_phrases(PhrasePolicy(first_words=2))


def test_bad_budgets_are_refused():
    with pytest.raises(ValueError, match="at least 1"):
        PhrasePolicy(first_words=0)


# ---- stalls ------------------------------------------------------------------------------


def test_playback_with_every_chunk_on_time_has_no_stalls():
    assert playback_stalls([(0.2, 1.0), (0.5, 1.0), (2.2, 0.5)]) == (0, 0.0)


def test_playback_counts_and_sums_every_late_chunk():
    # plays 0.2-1.2, next ready 1.5 (stall 0.3), plays 1.5-2.0, next ready 2.0 (on time)
    stalls, seconds = playback_stalls([(0.2, 1.0), (1.5, 0.5), (2.0, 1.0), (3.5, 0.1)])
    assert stalls == 2 and seconds == pytest.approx(0.3 + 0.5)
    assert playback_stalls([]) == (0, 0.0)


# ---- the speaking engine on the shipped default model --------------------------------------


class RecordingTalker:
    """Wraps a real talker and keeps every text it was asked to say."""

    def __init__(self, inner, fail_on: str | None = None):
        self.inner, self.fail_on = inner, fail_on
        self.name, self.sample_rate = inner.name, inner.sample_rate
        self.said: list[str] = []

    def synthesize(self, text):
        if self.fail_on is not None and self.fail_on in text:
            raise TalkerError(f"cannot say {text!r}")
        self.said.append(text)
        return self.inner.synthesize(text)


@pytest.fixture(scope="module")
def reasoner():
    from omni_reasoner.api import Reasoner

    return Reasoner.load()


@pytest.fixture(scope="module")
def espeak():
    return load_talker("espeak")


@pytest.mark.parametrize("backend", ["espeak", "piper"])
def test_a_spoken_answer_streams_chunks_and_never_voices_reasoning(reasoner, backend):
    talker = RecordingTalker(load_talker(backend))
    pieces: list[str] = []
    thoughts: list[str] = []
    result, chunks = speak(
        reasoner, QUESTION, talker, on_spoken=pieces.append, on_reasoning=thoughts.append
    )
    generation = result.generation
    assert "".join(thoughts).split() == generation.reasoning_text.split()
    assert chunks and [c.index for c in chunks] == list(range(len(chunks)))
    assert "<<" in generation.reasoning_text  # the model did reason silently ...
    for phrase in talker.said:  # ... and none of it reached the voice
        assert not any(token in phrase for token in REASONING_ONLY), phrase
    assert " ".join(talker.said).split() == generation.spoken_text.split()
    assert "".join(pieces).split() == generation.spoken_text.split()
    assert result.phrases == talker.said
    ready = [c.ready_s for c in chunks]
    assert ready == sorted(ready) and result.chunk_ready_s == ready
    assert 0 < result.ttfa_s == ready[0] <= result.total_s
    # the TTFA breakdown: first token, then the first phrase complete, then its synthesis
    assert 0 < result.first_token_s <= result.first_phrase_s <= result.ttfa_s
    assert 0 < result.first_synthesis_s <= result.ttfa_s
    assert result.first_phrase_s + result.first_synthesis_s <= result.ttfa_s + 1e-9
    assert set(result.metrics()) >= {"first_token_s", "first_phrase_s", "first_synthesis_s"}
    assert result.audio_s == pytest.approx(sum(c.duration_s for c in chunks))
    assert result.audio_s > 1.0
    assert result.stalls >= 0 and result.stall_s >= 0.0
    assert (result.stalls == 0) == (result.stall_s == 0.0)
    assert all(
        c.sample_rate == talker.sample_rate and c.samples.dtype == np.float32 for c in chunks
    )


class ScriptedReasoner:
    """Says "So," and then reasons until the Talker has been handed "So," (or 10 s pass)."""

    meta: dict = {}

    def __init__(self):
        self.first_phrase_voiced = threading.Event()
        self.waited_for_it: bool | None = None

    def ask(self, question, on_spoken, on_reasoning, on_pause, **kwargs):
        on_spoken("So")
        on_spoken(",")
        on_pause()  # the engine switched to reasoning
        on_reasoning("<<")
        self.waited_for_it = self.first_phrase_voiced.wait(timeout=10)
        on_reasoning("12-5=7>>")
        for piece in (" it", " is", " seven", "."):
            on_spoken(piece)
        return "the generation"


def test_a_word_spoken_before_reasoning_is_voiced_while_the_thinker_reasons():
    reasoner = ScriptedReasoner()

    class SignallingTalker:
        name, sample_rate = "scripted", 16000

        def synthesize(self, text):
            if text == "So,":
                reasoner.first_phrase_voiced.set()
            return np.zeros(160, dtype=np.float32)

    result, chunks = speak(reasoner, QUESTION, SignallingTalker())
    assert reasoner.waited_for_it is True  # voiced before any later spoken piece existed
    assert result.phrases == ["So,", "it is seven."] and len(chunks) == 2


def test_a_consumer_can_stop_early_and_the_decoder_stops_too(reasoner, espeak):
    async def first_chunk_only():
        run = speak_answer(reasoner, QUESTION, espeak)
        async for chunk in run:
            return chunk, run

    chunk, run = asyncio.run(first_chunk_only())
    assert chunk.index == 0 and chunk.duration_s > 0
    assert run.result is None  # unfinished: no metrics pretend to be complete


def test_a_talker_failure_reaches_the_consumer(reasoner, espeak):
    with pytest.raises(TalkerError, match="cannot say"):
        speak(reasoner, QUESTION, RecordingTalker(espeak, fail_on="answer is"))


# ---- the wav writer and `ask --out` -----------------------------------------------------


def read_wav(path):
    with wave.open(str(path)) as wav:
        return wav.getnchannels(), wav.getsampwidth(), wav.getframerate(), wav.getnframes()


def test_ask_writes_a_wav_and_reports_speech_metrics(tmp_path, capsys):
    out = tmp_path / "answer.wav"
    code = main(["ask", "--text", QUESTION, "--out", str(out), "--talker", "espeak", "--json"])
    assert code == 0
    fields = json.loads(capsys.readouterr().out)
    for key in ("spoken_text", "answer", "ttfa_s", "audio_s", "stalls", "stall_s"):
        assert key in fields
    channels, width, rate, frames = read_wav(out)
    assert (channels, width, rate) == (1, 2, 22050)
    assert frames / rate == pytest.approx(fields["audio_s"], abs=1e-3)
    assert 0 < fields["ttfa_s"] <= fields["speech_total_s"]
    assert os.listdir(tmp_path) == ["answer.wav"]  # no temporary file left behind


def split_marked(out: str) -> tuple[str, list[str]]:
    """The spoken text and the `[think: ...]` segments of `ask --show-reasoning` off a terminal."""
    thoughts = re.findall(r"\[think: (.*?)\]", out)
    return re.sub(r"\[think: .*?\]", " ", out), thoughts


def test_the_engine_hands_out_reasoning_and_spoken_pieces_in_stream_order(reasoner):
    events: list[tuple[str, str]] = []
    generation = reasoner.ask(
        QUESTION,
        on_spoken=lambda piece: events.append(("spoken", piece)),
        on_reasoning=lambda piece: events.append(("reasoning", piece)),
        on_pause=lambda: events.append(("pause", "")),
    )
    content = generation.stream[: generation.stream.index(EOS)]
    # a pause at every switch to reasoning, before that stretch's first reasoning piece
    pauses = [i for i, (kind, _) in enumerate(events) if kind == "pause"]
    assert len(pauses) == content.count(THINK) > 0
    assert all(events[i + 1][0] == "reasoning" for i in pauses if i + 1 < len(events))
    events = [event for event in events if event[0] != "pause"]
    assert [piece for _, piece in events] == [t for t in content if t not in SPECIAL_TOKENS]
    thoughts = "".join(p for kind, p in events if kind == "reasoning")
    spoken = "".join(p for kind, p in events if kind == "spoken")
    assert thoughts.split() == generation.reasoning_text.split() and "<<" in thoughts
    assert spoken.split() == generation.spoken_text.split() and "<<" not in spoken
    kinds = [kind for kind, _ in events]
    assert kinds.index("reasoning") < len(kinds) - 1 - kinds[::-1].index("spoken")  # interleaved


def test_forced_calculator_results_count_as_reasoning(reasoner):
    thoughts: list[str] = []
    generation = reasoner.ask(QUESTION, on_reasoning=thoughts.append)
    assert generation.forced_tokens > 0 and "=" in thoughts
    after_equals = "".join(thoughts[thoughts.index("=") + 1 :])
    assert after_equals.startswith("7")  # 12 - 5: the engine computed it and forced it in


def test_ask_shows_the_reasoning_live_and_marked_when_piped(tmp_path, capsys):
    out = tmp_path / "a.wav"
    args = ["ask", "--text", QUESTION, "--out", str(out), "--talker", "espeak"]
    assert main([*args, "--json"]) == 0
    generation = json.loads(capsys.readouterr().out)
    assert main([*args, "--show-reasoning"]) == 0
    captured = capsys.readouterr()
    assert "\033[" not in captured.out  # capsys is no terminal: marked, not coloured
    spoken, thoughts = split_marked(captured.out)
    assert len(thoughts) >= 2  # the reasoning arrives in several runs between spoken words
    assert "".join(thoughts).split() == generation["reasoning_text"].split()
    assert spoken.split() == generation["spoken_text"].split()
    assert "<<" not in spoken and ">>" not in spoken
    assert captured.out.index("[think:") < captured.out.index("answer is")  # live, not after
    assert "wrote" in captured.err and "stalls" in captured.err


def test_ask_without_show_reasoning_prints_only_the_spoken_text(capsys):
    assert main(["ask", "--text", QUESTION, "--json"]) == 0
    generation = json.loads(capsys.readouterr().out)
    assert main(["ask", "--text", QUESTION]) == 0
    assert capsys.readouterr().out.strip() == generation["spoken_text"].strip()


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_the_reasoning_is_dimmed_in_place(monkeypatch):
    from omni_reasoner.cli import LiveView

    monkeypatch.delenv("NO_COLOR", raising=False)
    terminal = FakeTerminal()
    view = LiveView(terminal)
    for kind, piece in [("s", "So"), ("s", ","), ("r", "<<"), ("r", "12-5="), ("r", "7")]:
        (view.spoken if kind == "s" else view.reasoning)(piece)
    view.spoken(" when")
    view.reasoning(">>")
    view.finish()
    assert terminal.getvalue() == "So, \033[2m<<12-5=7\033[0m when \033[2m>>\033[0m\n"
    monkeypatch.setenv("NO_COLOR", "1")
    plain = FakeTerminal()
    view = LiveView(plain)
    view.spoken("So,")
    view.reasoning(" <<1+1=2>>")
    view.finish()
    assert plain.getvalue() == "So, [think: <<1+1=2>>]\n"


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        (["--max-new-tokens", "1"], "no speakable text"),  # the stream ends before any word
        (["--talker", "festival"], "choose one of: piper, espeak"),
    ],
)
def test_ask_errors_leave_a_good_wav_alone(tmp_path, capsys, extra, needle):
    out = tmp_path / "answer.wav"
    out.write_bytes(b"a good answer from before")
    args = ["ask", "--text", QUESTION, "--out", str(out), "--talker", "espeak", *extra]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert needle in err and len(err.strip().splitlines()) == 1
    assert out.read_bytes() == b"a good answer from before"
    assert os.listdir(tmp_path) == ["answer.wav"]


@pytest.mark.parametrize(
    ("target", "needle"), [("missing/dir/a.wav", "does not exist"), (".", "is a directory")]
)
def test_ask_refuses_an_unwritable_path_before_loading_anything(tmp_path, capsys, target, needle):
    out = tmp_path / target
    assert main(["ask", "--text", QUESTION, "--out", str(out), "--talker", "nope"]) == 2
    err = capsys.readouterr().err
    assert needle in err and len(err.strip().splitlines()) == 1


def test_a_write_that_fails_midway_keeps_the_old_file(tmp_path, monkeypatch, espeak):
    from omni_reasoner.infer.speaking import SpeechChunk

    out = tmp_path / "answer.wav"
    out.write_bytes(b"old")
    chunk = SpeechChunk(0, "hi", espeak.synthesize("hi"), espeak.sample_rate, 0.1)

    def disk_full(self, data):
        raise OSError("No space left on device")

    monkeypatch.setattr(wave.Wave_write, "writeframes", disk_full)
    with pytest.raises(OSError, match="No space"):
        write_wav(out, [chunk], espeak.sample_rate)
    assert out.read_bytes() == b"old" and os.listdir(tmp_path) == ["answer.wav"]


# ---- the TTFA benchmark -----------------------------------------------------------------


def load_benchmark():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "speech_latency.py"
    spec = importlib.util.spec_from_file_location("speech_latency", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("form", ["schedule", "pair"])
def test_the_ttfa_benchmark_prints_a_row_per_schedule(small_dataset, capsys, form):
    from omni_reasoner.api import DEFAULT_MODEL

    schedules = ["interleave:2:8", "interleave:2:8+nopad"]  # both speak at once on the default
    if form == "schedule":
        chosen = [arg for s in schedules for arg in ("--schedule", s)]
    else:  # and every phrase synthesized afresh
        chosen = [arg for s in schedules for arg in ("--pair", f"{s}={DEFAULT_MODEL}")]
        chosen.append("--no-phrase-cache")
    args = ["--data", str(small_dataset), "--n", "2", "--repeats", "1", "--talker", "espeak"]
    assert load_benchmark().main([*args, "--max-new-tokens", "120", *chosen]) == 0
    out = capsys.readouterr().out
    assert "2 text questions x 1 repeats" in out
    cached = form == "schedule"
    assert ("phrases kept" in out) == cached and ("phrase cache: off" in out) != cached
    table, breakdown = out.split("TTFA breakdown")
    for schedule in schedules:
        (row,) = [line for line in table.splitlines() if line.startswith(schedule + " ")]
        (parts,) = [line for line in breakdown.splitlines() if line.startswith(schedule + " ")]
        cells = row.split()
        assert cells[1] == "2/2" and float(cells[2]) > 0  # both answers voiced, a median TTFA
        assert cells[-2].endswith("%") and cells[-1] == "-"  # an accuracy; no think-first here
        hear, prefill, decode, synth, rest, ttfa = map(float, parts.split()[1:])
        assert hear == 0 and prefill > 0 and ttfa == float(cells[2])
        assert synth > 0 if not cached else synth >= 0  # a cached first phrase costs nothing


def run(ttfa, prefill=0.01, phrase=0.05, synth=0.02, stalls=0, correct=True):
    parts = None
    if ttfa is not None:  # as SpeechResult.breakdown() gives them, for a text question
        rest = ttfa - phrase - synth
        parts = dict(audio_encode=0.0, prefill=prefill, decode=phrase - prefill, synth=synth, rest=rest)  # fmt: skip
    return {"ttfa": ttfa, "parts": parts, "stalls": stalls, "stall_s": 0.5 * stalls, "correct": correct}  # fmt: skip


def test_the_ttfa_report_compares_against_think_first_and_sums_stalls():
    runs = {
        "think-first": [run(2.0, phrase=1.9), run(None, correct=False), run(4.0, phrase=3.9)],
        "interleave:2:8": [run(0.5, stalls=1), run(0.6, stalls=2), run(0.7)],
    }
    out = io.StringIO()
    load_benchmark().report(runs, out)
    table, breakdown = out.getvalue().split("TTFA breakdown")
    think, interleave = (
        next(line.split() for line in table.splitlines() if line.startswith(s + " ")) for s in runs
    )
    assert think[1] == "2/3" and think[2] == "3.000" and think[-2] == "66.7%"
    assert think[-1] == "1.0x" and interleave[-1] == "5.0x"  # 3.0 s / 0.6 s
    assert interleave[4] == "3" and interleave[5] == "1.50"  # stalls summed, and their seconds
    think_parts = next(line for line in breakdown.splitlines() if line.startswith("think-first"))
    assert think_parts.split()[1:] == ["0.000", "0.010", "2.890", "0.020", "0.080", "3.000"]


@pytest.mark.parametrize(
    ("bad", "needle"),
    [
        (["--schedule", "interleave:0:8"], "unknown schedule 'interleave:0:8'"),
        (["--pair", "think-first"], "--pair takes SCHEDULE=MODEL"),
        (["--talker", "festival"], "choose one of: piper, espeak"),
    ],
)
def test_the_ttfa_benchmark_refuses_bad_input_in_one_line(small_dataset, capsys, bad, needle):
    with pytest.raises(SystemExit) as exit_:
        load_benchmark().main(["--data", str(small_dataset), *bad])
    assert exit_.value.code == 2
    assert needle in capsys.readouterr().err.strip().splitlines()[-1]
