"""Spoken questions: voices, augmentation, held-out voices, resume and the Whisper round trip."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
import yaml

from omni_reasoner.cli import main
from omni_reasoner.data import augment
from omni_reasoner.data.roundtrip import number_mismatch
from omni_reasoner.data.speak import (
    META_COLUMNS,
    Speaker,
    decode_audio,
    held_out_violations,
    load_clips,
    settings_of,
    speak_dataset,
    speaking_order,
)
from omni_reasoner.data.speech import (
    SAMPLE_RATE,
    AudioConfigError,
    ClipSettings,
    Renderer,
    audio_config_from_dict,
)
from omni_reasoner.data.store import (
    FORMAT_VERSION,
    atomic_write_json,
    atomic_write_parquet,
    read_manifest,
    read_parquet,
)

QUESTIONS = {
    "train": [
        "Tom has twelve apples and buys five more.",
        "What is forty plus nine?",
        "Sam reads eight pages a day for three days.",
        "What is sixty minus two?",
        "Ann has ten pens.",
    ],
    "valid": ["What is seven times six?", "Add thirty and four."],
    "test": ["What is eleven plus two?", "Subtract one from twenty.", "Mia has fifty cards."],
}
# espeak-ng only (fast); `test` is spoken by an unheard accent and an unheard variant family
AUDIO = {
    "seed": 3,
    "shard_size": 2,
    "verify": "none",
    "rerender": 1,
    "clean_share": 0.3,
    "snr_db": [30, 20],
    "reverb_share": 0.5,
    "pools": {
        "train": [
            {
                "engine": "espeak",
                "voices": ["en-us", "en"],
                "variants": ["m1", "f2"],
                "rate": [0.9, 1.1],
                "pitch": [0.8, 1.2],
            }
        ],
        "test": [
            {"engine": "espeak", "voices": ["en-gb-scotland"], "variants": ["m1"]},
            {"engine": "espeak", "voices": ["en-us"], "variants": ["klatt", "klatt2"]},
        ],
    },
    "split_pools": {"train": "train", "valid": "train"},
    "default_pool": "test",
}


def make_dataset(directory: Path, questions=QUESTIONS) -> Path:
    """A dataset directory as `data build` leaves it, holding only what speaking reads."""
    schema = pa.schema(
        [("id", pa.string()), ("question", pa.string()), ("question_spoken", pa.string())]
    )
    files = {}
    for split, texts in questions.items():
        rows = [
            {"id": f"{split}:{i}", "question": t, "question_spoken": t} for i, t in enumerate(texts)
        ]
        atomic_write_parquet(directory / f"{split}.parquet", rows, schema)
        files[split] = {"path": f"{split}.parquet", "rows": len(rows)}
    atomic_write_json(
        directory / "manifest.json",
        {"format_version": FORMAT_VERSION, "files": files, "config": {}},
    )
    return directory


def write_audio_config(directory: Path, **overrides) -> Path:
    path = directory / "audio.yaml"
    path.write_text(yaml.safe_dump({"name": "t", "audio": {**AUDIO, **overrides}}, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def spoken(tmp_path_factory) -> Path:
    directory = make_dataset(tmp_path_factory.mktemp("spoken"))
    speak_dataset(directory, audio_config_from_dict(AUDIO), progress=False)
    return directory


def test_clips_are_16k_mono_float_in_range_and_rerender_from_their_settings(spoken):
    renderer = Renderer()
    rows = [r for split in QUESTIONS for r in load_clips(spoken, split)]
    assert len(rows) == sum(len(q) for q in QUESTIONS.values())
    for row in rows:
        audio = decode_audio(row["audio"])
        assert audio.dtype == np.float32 and audio.ndim == 1
        assert len(audio) == row["num_samples"] > SAMPLE_RATE // 2
        assert np.abs(audio).max() <= 1.0 and np.abs(audio).max() > 0.05
        assert row["verify"] == "unchecked" and row["status"] == "ok"
        for key in ("engine", "voice", "variant", "rate", "pitch", "snr_db", "reverb_rt60", "seed"):
            assert key in row
    # espeak-ng carries a little pitch-flutter state between utterances, so a re-render is
    # the same speech (words, voice, speed, noise, room) but not bit for bit the same
    again = rows[0]
    stored, fresh = decode_audio(again["audio"]), renderer.render(again["text"], settings_of(again))
    assert abs(len(fresh) - len(stored)) < 0.01 * len(stored)
    assert abs(np.std(fresh) / np.std(stored) - 1) < 0.1
    conditions = {(r["snr_db"] is None, r["reverb_rt60"] > 0) for r in rows}
    assert len(conditions) >= 3  # clean and noisy, dry and reverberant clips all occur


def test_held_out_voices_never_speak_training_splits(spoken):
    audio = read_manifest(spoken)["audio"]
    assert audio["held_out"] == {
        "test": {"voices": ["espeak:en-gb-scotland"], "variants": ["klatt", "klatt2"]}
    }
    assert audio["splits"]["train"]["held_out"] is False
    assert audio["splits"]["test"]["held_out"] is True
    assert held_out_violations(spoken) == []
    for split in ("train", "valid"):
        for r in load_clips(spoken, split, META_COLUMNS):
            assert r["voice"] in ("en-us", "en") and r["variant"] in ("m1", "f2")
    for r in load_clips(spoken, "test", META_COLUMNS):
        assert r["voice"] == "en-gb-scotland" or r["variant"].startswith("klatt")
    voices = audio["splits"]["train"]["voices"]
    assert sum(voices.values()) == len(QUESTIONS["train"])


def test_a_held_out_pool_that_reuses_training_voices_is_refused():
    leaky = json.loads(json.dumps(AUDIO))
    leaky["pools"]["test"].append(
        {"engine": "espeak", "voices": ["en"], "variants": ["m1", "klatt"]}
    )
    with pytest.raises(AudioConfigError, match="held-out pool 'test'"):
        audio_config_from_dict(leaky)


@pytest.mark.parametrize("color", augment.NOISE_COLORS)
@pytest.mark.parametrize("snr", [30.0, 10.0, 0.0])
def test_noise_reaches_the_requested_snr(color, snr):
    settings = ClipSettings("espeak", "en-us", "m1", 1.0, 1.0, color, snr, 0.3, 11, "train")
    speech, noise = Renderer().layers("What is forty plus nine?", settings)
    assert abs(augment.snr_db(speech, noise) - snr) < 0.5
    mixed = Renderer().render("What is forty plus nine?", settings)
    assert np.abs(mixed).max() <= 1.0


def test_noise_colours_have_their_slopes():
    rng = np.random.default_rng(0)
    low_high = {}
    for color in augment.NOISE_COLORS:
        power = np.abs(np.fft.rfft(augment.colored_noise(1 << 16, color, rng))) ** 2
        low_high[color] = power[100:1000].mean() / power[10000:20000].mean()
    assert low_high["white"] < 1.5 < low_high["pink"] < low_high["brown"]


def _speak_cli(directory: Path, config: Path, *extra: str, env=None) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "omni_reasoner.cli", "data", "speak", str(directory)]
    command += ["--config", str(config), "--quiet", *extra]
    return subprocess.run(
        command, env={**os.environ, **(env or {})}, capture_output=True, text=True
    )


def test_resume_after_kill_renders_nothing_twice_and_ends_identical(tmp_path, monkeypatch):
    config = write_audio_config(tmp_path)
    killed = make_dataset(tmp_path / "killed")
    done = _speak_cli(killed, config, env={"OMNI_REASONER_KILL_AFTER_SHARDS": "2"})
    assert done.returncode == -9
    shards = sorted((killed / "audio").rglob("shard-*.parquet"))
    assert len(shards) == 2
    stored = sum(len(read_parquet(s, ["id"])) for s in shards)

    rendered = []
    original = Speaker.render
    monkeypatch.setattr(
        Speaker, "render", lambda self, *a: rendered.append(a) or original(self, *a)
    )
    speak_dataset(killed, audio_config_from_dict(AUDIO), progress=False)
    total = sum(len(q) for q in QUESTIONS.values())
    assert len(rendered) == total - stored  # the stored clips were not rendered again

    whole = make_dataset(tmp_path / "whole")
    speak_dataset(whole, audio_config_from_dict(AUDIO), progress=False)
    for path in sorted((whole / "audio").rglob("shard-*.parquet")):
        expected = read_parquet(path, ["id", "text", "voice", "variant", "rate", "snr_db", "seed"])
        assert read_parquet(killed / path.relative_to(whole), list(expected[0])) == expected


def ids(split: str) -> list[dict]:
    return [{"id": f"{split}:{i}"} for i in range(len(QUESTIONS[split]))]


def test_limit_per_split_and_chosen_splits(tmp_path, monkeypatch):
    directory = make_dataset(tmp_path / "ds")
    config = audio_config_from_dict(AUDIO)
    summary = speak_dataset(directory, config, splits=["train"], limit_per_split=3, progress=False)
    assert list(summary["splits"]) == ["train"]
    spoken = [r["id"] for r in speaking_order(ids("train"))]
    assert [r["id"] for r in load_clips(directory, "train")] == spoken[:3]
    assert not (directory / "audio" / "test").exists()

    rendered = []
    original = Speaker.render
    monkeypatch.setattr(
        Speaker, "render", lambda self, *a: rendered.append(a) or original(self, *a)
    )
    speak_dataset(directory, config, splits=["train", "test"], limit_per_split=4, progress=False)
    fourth = QUESTIONS["train"][int(spoken[3].split(":")[1])]
    test_order = [int(r["id"].split(":")[1]) for r in speaking_order(ids("test"))]
    assert [a[0] for a in rendered] == [fourth] + [QUESTIONS["test"][i] for i in test_order]
    manifest = read_manifest(directory)["audio"]["splits"]
    assert manifest["train"]["questions"] == 4 and manifest["test"]["clips"] == 3


class PerfectListener:
    """Stands in for Whisper: hears exactly the text that was rendered into the clip."""

    def __init__(self):
        self.heard = {}

    def render(self, speaker, text, settings, wrong):
        said = wrong.get((text, settings.seed), text)
        audio = Renderer.render(speaker.renderer, said, settings)
        self.heard[audio.tobytes()] = said
        return audio


def test_round_trip_counts_rerenders_and_drops(tmp_path, monkeypatch):
    directory = make_dataset(tmp_path / "ds")
    config = audio_config_from_dict({**AUDIO, "verify": "all"})
    from omni_reasoner.data.speech import draw_settings

    # train:0 is first said with a wrong number (rejected, then re-rendered right);
    # train:1 is said wrong both times (dropped); everything else is said right.
    first = {i: draw_settings(config, "train", f"train:{i}", 0) for i in (0, 1)}
    second = draw_settings(config, "train", "train:1", 1, frozenset({first[1].key}))
    wrong = {
        (QUESTIONS["train"][0], first[0].seed): "Tom has twenty apples and buys five more.",
        (QUESTIONS["train"][1], first[1].seed): "What is forty plus six?",
        (QUESTIONS["train"][1], second.seed): "What is fourteen plus nine?",
    }
    listener = PerfectListener()
    monkeypatch.setattr(Speaker, "render", lambda self, t, s: listener.render(self, t, s, wrong))
    monkeypatch.setattr(Speaker, "transcribe", lambda self, audio: listener.heard[audio.tobytes()])
    summary = speak_dataset(directory, config, splits=["train"], progress=False)
    counts = summary["splits"]["train"]
    assert (counts["checked"], counts["passed"], counts["rerendered"]) == (5, 3, 2)
    assert (counts["passed_after_rerender"], counts["dropped"], counts["clips"]) == (1, 1, 4)
    rows = {r["id"]: r for r in load_clips(directory, "train", META_COLUMNS, dropped=True)}
    assert rows["train:0"]["attempt"] == 1 and rows["train:0"]["verify"] == "passed"
    rejected = json.loads(rows["train:0"]["rejected"])
    assert rejected[0]["reason"] == "missing 12"
    assert (
        rejected[0]["voice"] + rejected[0]["variant"]
        != rows["train:0"]["voice"] + rows["train:0"]["variant"]
    )
    assert rows["train:1"]["status"] == "dropped" and rows["train:1"]["verify"] == "rejected"
    assert rows["train:2"]["transcript"] == QUESTIONS["train"][2]


def test_whisper_rejects_a_clip_whose_number_was_changed():
    """One real Piper clip heard by Whisper tiny.en: right for its text, wrong for another."""
    from omni_reasoner.data.roundtrip import Transcriber

    said = "Tom has twelve apples and buys five more."
    settings = ClipSettings("piper", "joe", "", 1.0, 1.0, "", None, 0.0, 5, "test")
    audio = Renderer().render(said, settings)
    np.testing.assert_array_equal(
        audio, Renderer().render(said, settings)
    )  # Piper re-renders exactly
    transcript = Transcriber()(audio)
    assert number_mismatch(said, transcript) == ""
    assert number_mismatch("Tom has twenty apples and buys five more.", transcript) == "missing 20"


@pytest.mark.parametrize(
    "question, transcript, missing",
    [
        (
            "What is nine hundred twenty-eight plus one hundred ninety-six?",
            "What is 928 plus 100 96?",
            "",
        ),
        ("One hundred two minus thirty-two", "100 to minus 32", ""),
        ("It costs one dollar and fifty cents.", "It costs $1.50.", ""),
        ("for another five hours", "for 105 hours", "missing 5"),
        ("two and two", "2 and to", "missing 2"),
    ],
)
def test_number_comparison(question, transcript, missing):
    assert number_mismatch(question, transcript) == missing


def test_bad_input_is_one_line(tmp_path, capsys):
    config = write_audio_config(tmp_path)
    assert main(["data", "speak", str(tmp_path / "nowhere"), "--config", str(config)]) == 2
    assert "no dataset directory" in capsys.readouterr().err

    empty = make_dataset(tmp_path / "empty", {"train": []})
    assert main(["data", "speak", str(empty), "--config", str(config), "--quiet"]) == 2
    assert "has no questions to speak" in capsys.readouterr().err

    directory = make_dataset(tmp_path / "ds")
    for pools, needle in (
        ({"train": [{"engine": "espeak", "voices": ["en-mars"]}]}, "no English voice 'en-mars'"),
        (
            {"train": [{"engine": "espeak", "voices": ["en-us"], "variants": ["nobody"]}]},
            "no variant 'nobody'",
        ),
        ({"train": [{"engine": "piper", "voices": ["ann"]}]}, "unknown piper voice 'ann'"),
    ):
        bad = write_audio_config(tmp_path, pools=pools, split_pools={}, default_pool="train")
        assert main(["data", "speak", str(directory), "--config", str(bad), "--quiet"]) == 2
        err = capsys.readouterr().err
        assert needle in err and len(err.strip().splitlines()) == 1
    config = write_audio_config(tmp_path)
    assert main(["data", "speak", str(directory), "--config", str(config), "--split", "nope"]) == 2
    assert "no split 'nope'" in capsys.readouterr().err


def test_a_clip_longer_than_the_encoder_window_is_rerendered_then_dropped(tmp_path, monkeypatch):
    from omni_reasoner.data import speak
    from omni_reasoner.train.audio import read_clips

    directory = make_dataset(tmp_path / "ds")
    config = audio_config_from_dict(AUDIO)
    speak_dataset(directory, config, splits=["train"], limit_per_split=2, progress=False)
    kept = load_clips(directory, "train")
    assert [c["id"] for c in read_clips(directory, "train")] == [c["id"] for c in kept]
    assert len(kept) == 2
    shortest = min(clip["num_samples"] for clip in kept)
    # with a window shorter than every clip, data written before the rule is filtered ...
    monkeypatch.setattr(speak, "MAX_CLIP_SAMPLES", shortest - 1)
    assert read_clips(directory, "train") == []
    # ... and the speak stage re-renders each once with another voice, then drops it
    summary = speak_dataset(
        tmp_path / "ds", config, splits=["test"], limit_per_split=1, progress=False
    )
    (row,) = load_clips(directory, "test", dropped=True)
    assert row["status"] == "dropped" and row["attempt"] == config.rerender
    reasons = [attempt["reason"] for attempt in json.loads(row["rejected"])]
    assert len(reasons) == config.rerender + 1
    assert all("longer than the encoder's 30 s window" in r for r in reasons)
    assert summary["splits"]["test"]["dropped"] == 1
