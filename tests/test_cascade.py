"""The cascade (Whisper tiny.en -> text Thinker): API, speaking engine, `ask --audio`, `demo`."""

from __future__ import annotations

import io
import json
import wave
from pathlib import Path

import numpy as np
import pytest
import soundfile

from omni_reasoner.api import Reasoner
from omni_reasoner.audio import SAMPLE_RATE, AudioInputError, load_audio
from omni_reasoner.cli import main
from omni_reasoner.data.roundtrip import heard_numbers
from omni_reasoner.infer.listening import (
    AudioGeneration,
    PipelineError,
    question_from_transcript,
    resolve_pipeline,
)
from omni_reasoner.infer.speaking import speak
from omni_reasoner.model.asr import drop_repeated_sentences
from omni_reasoner.model.talker import load_talker

ASSETS = Path(__file__).resolve().parents[1] / "src" / "omni_reasoner" / "assets"
DEMO = ASSETS / "demo_question.wav"
QUESTION = "What is forty-eight times seven?"  # not the demo's question


@pytest.fixture(scope="module")
def reasoner():
    return Reasoner.load()


@pytest.fixture(scope="module")
def talker():
    return load_talker("piper")


@pytest.fixture(scope="module")
def question_wav(tmp_path_factory, talker) -> Path:
    """The question said by Piper at its own 22.05 kHz, with silence around it."""
    speech = talker.synthesize(QUESTION)
    quiet = np.zeros(int(0.8 * talker.sample_rate), np.float32)
    path = tmp_path_factory.mktemp("audio") / "question.wav"
    soundfile.write(path, np.concatenate([quiet, speech, quiet]), talker.sample_rate)
    return path


# ---- choosing the pipeline ------------------------------------------------------------------


def test_auto_is_cascade_until_a_checkpoint_hears_audio():
    assert resolve_pipeline({}, "auto") == "cascade"
    assert resolve_pipeline({"audio": {"encoder": "whisper-tiny.en"}}, "auto") == "e2e"
    assert resolve_pipeline({"audio": {"encoder": "whisper-tiny.en"}}, "cascade") == "cascade"
    with pytest.raises(PipelineError, match="unknown pipeline 'fast'"):
        resolve_pipeline({}, "fast")


def test_e2e_on_a_text_only_checkpoint_is_one_line(reasoner):
    with pytest.raises(PipelineError) as error:
        reasoner.ask_audio(load_audio(DEMO), pipeline="e2e")
    assert "no audio path" in str(error.value) and "\n" not in str(error.value)


def test_the_transcript_becomes_the_spoken_form_the_thinker_reads():
    assert question_from_transcript(" What is 48 times 7? ") == "What is forty-eight times seven?"
    # the primed Whisper's own spelling of number words becomes the builder's
    assert question_from_transcript("What is forty eight times seven?") == (
        "What is forty-eight times seven?"
    )
    assert question_from_transcript("one hundred and two apples") == "one hundred two apples"
    for nothing in ("", "  ", " ... "):
        with pytest.raises(AudioInputError, match="no speech was recognised"):
            question_from_transcript(nothing)


# ---- the transcriber's window ---------------------------------------------------------------


def test_a_decoder_that_runs_on_loses_its_repeats():
    assert drop_repeated_sentences(
        "How far apart are 46 and 6? How far apart are 46 and 6? How far apart"
    ) == ("How far apart are 46 and 6?")
    # different sentences stay, and a cut-off last sentence that begins no earlier one too
    text = "Tom has 5 apples. Ann has 5 pears. How many fruits do they have in"
    assert drop_repeated_sentences(text) == text
    assert drop_repeated_sentences("") == ""
    # decimals and prices are not sentence ends
    assert drop_repeated_sentences("It costs $1.50 each. It costs $1.50 each.") == (
        "It costs $1.50 each."
    )
    assert drop_repeated_sentences("Add 2.5 and 3.5. Then add 2.5.") == (
        "Add 2.5 and 3.5. Then add 2.5."
    )


def test_the_window_is_the_clip_plus_its_tail():
    from omni_reasoner.model.asr import WhisperTranscriber

    clip = np.zeros(3 * SAMPLE_RATE + 55, np.float32)
    full = WhisperTranscriber(prompt="", tail_s=None)
    assert full.features(clip).shape == (1, 80, 3000)
    short = WhisperTranscriber(prompt="", tail_s=2.0)
    frames = short.features(clip).shape[2]
    assert frames % 2 == 0 and 500 <= frames <= 502  # 5 s of 10 ms frames, even for conv2
    # never past Whisper's own window
    assert short.features(np.zeros(29 * SAMPLE_RATE, np.float32)).shape == (1, 80, 3000)
    # the guard caps the decoder by the clip's length; without it, Whisper's 224 tokens
    assert full.max_tokens(3.0) == 224
    guarded = WhisperTranscriber(prompt="", tail_s=2.0, guard=True)
    assert guarded.max_tokens(3.0) < guarded.max_tokens(6.0) < 224
    with pytest.raises(ValueError, match="tail_s must be between 0 and 30"):
        WhisperTranscriber(tail_s=-1.0)


def test_a_short_window_hears_the_bundled_question():
    from omni_reasoner.model.asr import ARITHMETIC_PROMPT, WhisperTranscriber

    audio = load_audio(DEMO)
    hearer = WhisperTranscriber(prompt=ARITHMETIC_PROMPT, tail_s=2.0, guard=True)
    transcript = hearer(audio.samples)
    assert {"3", "8"} <= set(heard_numbers(transcript)) and "pencils" in transcript


# ---- the API and the speaking engine ------------------------------------------------------


def test_ask_audio_hears_and_answers(reasoner, question_wav):
    audio = load_audio(question_wav)
    assert audio.source_rate == 22050 and audio.trimmed_s > 1.0
    heard = []
    result = reasoner.ask_audio(audio, on_transcript=heard.append)
    assert isinstance(result, AudioGeneration)
    assert result.pipeline == "cascade" and heard == [result.transcript]
    # the primed Whisper may write the numbers in digits or words; both are heard right
    assert {"48", "7"} <= set(heard_numbers(result.transcript)) and "times" in result.transcript
    assert result.question == "What is forty-eight times seven?"
    assert result.answer == "336"
    # every time counts from the end of the question audio, so it includes transcription
    assert 0 < result.audio_encode_s <= result.time_to_first_spoken_s <= result.total_s
    fields = result.to_dict()
    assert {"transcript", "pipeline", "audio_encode_s", "answer", "spoken_text"} <= set(fields)


def test_the_text_form_keeps_its_fields(reasoner):
    fields = reasoner.ask(QUESTION).to_dict()
    assert "transcript" not in fields and "pipeline" not in fields


def test_speaking_an_audio_question_counts_transcription_in_ttfa(reasoner, talker):
    heard = []
    result, chunks = speak(reasoner, load_audio(DEMO), talker, on_transcript=heard.append)
    assert result.pipeline == "cascade" and chunks
    assert result.transcript == heard[0] and "pencils" in result.transcript
    assert result.generation.answer == "24" and result.generation.pipeline == "cascade"
    assert 0 < result.audio_encode_s <= result.first_token_s <= result.ttfa_s
    assert result.metrics()["audio_encode_s"] == result.audio_encode_s


def test_speaking_with_an_impossible_pipeline_fails_before_it_starts(reasoner, talker):
    with pytest.raises(PipelineError, match="no audio path"):
        speak(reasoner, load_audio(DEMO), talker, pipeline="e2e")


# ---- the CLI --------------------------------------------------------------------------------


def test_ask_audio_json_has_the_text_fields_and_the_audio_ones(question_wav, capsys):
    assert main(["ask", "--audio", str(question_wav), "--json"]) == 0
    fields = json.loads(capsys.readouterr().out)
    assert fields["answer"] == "336" and fields["pipeline"] == "cascade"
    assert "48" in set(heard_numbers(fields["transcript"])) and fields["audio_encode_s"] > 0
    assert {"spoken_text", "reasoning_text", "time_to_first_spoken_s", "model"} <= set(fields)


def test_ask_audio_speaks_to_a_wav(question_wav, tmp_path, capsys):
    out = tmp_path / "answer.wav"
    assert main(["ask", "--audio", str(question_wav), "--out", str(out), "--json"]) == 0
    fields = json.loads(capsys.readouterr().out)
    assert fields["answer"] == "336" and fields["ttfa_s"] >= fields["audio_encode_s"] > 0
    with wave.open(str(out)) as wav:
        assert wav.getnframes() > 0


def _bad_clips(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    silent = tmp_path / "silent.wav"
    soundfile.write(silent, np.zeros(SAMPLE_RATE, np.float32), SAMPLE_RATE)
    text = tmp_path / "notes.wav"
    text.write_text("not audio\n")
    empty = tmp_path / "empty.flac"
    empty.write_bytes(b"")
    return {
        "silent": (silent, "silent"),
        "not audio": (text, "not audio"),
        "empty": (empty, "empty"),
        "missing": (tmp_path / "missing.wav", "no such file"),
    }


def test_bad_audio_fails_in_one_line_before_the_model_loads(tmp_path, capsys, monkeypatch):
    def no_loading(*args, **kwargs):
        raise AssertionError("the model was loaded for bad input")

    monkeypatch.setattr(Reasoner, "load", no_loading)
    for path, words in _bad_clips(tmp_path).values():
        assert main(["ask", "--audio", str(path)]) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("omni-reasoner: error:") and words in err and "\n" not in err
    assert main(["ask", "--audio", str(DEMO), "--pipeline", "e2e"]) == 2
    assert "no audio path" in capsys.readouterr().err


def test_exactly_one_of_text_and_audio(capsys):
    for argv in (["ask"], ["ask", "--text", "What is 2 plus 2?", "--audio", str(DEMO)]):
        with pytest.raises(SystemExit) as exit_:
            main(argv)
        assert exit_.value.code != 0
    capsys.readouterr()


def test_the_demo_answers_the_bundled_question_aloud(tmp_path, capsys):
    out = tmp_path / "demo.wav"
    assert main(["demo", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    transcript = (ASSETS / "demo_question.txt").read_text().strip()
    assert "heard: Sarah has three boxes" in captured.out and "answer: 24" in captured.out
    assert "TTFA" in captured.out and "stalls" in captured.out
    assert transcript.split()[0] in captured.out
    with wave.open(str(out)) as wav:
        assert wav.getnframes() > wav.getframerate()  # more than a second of answer


def test_the_bundled_question_is_small_16k_mono():
    info = soundfile.info(str(DEMO))
    assert (info.samplerate, info.channels, info.subtype) == (SAMPLE_RATE, 1, "PCM_16")
    assert DEMO.stat().st_size < 400_000
    with wave.open(io.BytesIO(DEMO.read_bytes())) as wav:
        assert wav.getnframes() == info.frames
