"""The audio stages 1, 2, 4 and the e2e path, on a tiny slice through the real commands.

A random tiny Thinker (a few stage-3 steps) -> a handful of espeak clips -> the encoder
cache -> stages 1, 2, 4 from the shipped configs (steps and shapes cut down) -> resume
after a kill -> eval --set heldout-audio and ask --audio, both e2e.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from omni_reasoner.cli import main
from omni_reasoner.format.tokens import AUDIO_TOKENS, SPECIAL_TOKENS

CONFIGS = Path(__file__).resolve().parents[1] / "src" / "omni_reasoner" / "configs" / "tiny"
TINY_MODEL = {
    "hidden_size": 32,
    "num_layers": 2,
    "num_heads": 2,
    "num_kv_heads": 2,
    "intermediate_size": 64,
    "max_positions": 1024,
}
CLIPS_PER_SPLIT = 4
# espeak-ng only (fast); `test` is spoken by an accent and a variant family training never hears
AUDIO = {
    "seed": 3,
    "shard_size": 4,
    "verify": "none",
    "clean_share": 0.5,
    "snr_db": [30],
    "reverb_share": 0.0,
    "pools": {
        "train": [{"engine": "espeak", "voices": ["en-us"], "variants": ["m1", "f2"]}],
        "test": [{"engine": "espeak", "voices": ["en-gb-scotland"], "variants": ["klatt"]}],
    },
    "split_pools": {"train": "train"},
    "default_pool": "test",
}


def _run(args: list[str], env_extra: dict | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1", **(env_extra or {})}
    return subprocess.run(
        [sys.executable, "-m", "omni_reasoner.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def _stage_config(
    tmp: Path, stage: str, data: Path, init_from: Path, out: Path, preset: str = "tiny", **extra
) -> Path:
    """The shipped stage config of a preset, cut to a few steps on the tiny slice."""
    config = yaml.safe_load((CONFIGS.parent / preset / f"{stage}.yaml").read_text())
    config |= dict(
        data=str(data),
        init_from=str(init_from),
        out=str(out),
        max_steps=4,
        batch_size=4,
        warmup_steps=1,
        save_every=2,
        log_every=1,
        precision="fp32",
        threads=1,
    )
    config["audio"] = (
        config["audio"] | {"train_thinker_after": 2} if stage == "stage1" else config["audio"]
    )
    if preset != "tiny":  # the bundled Whisper tiny.en stands in for the preset's encoder
        config["audio"] = config["audio"] | {"encoder": ""}
    config |= extra
    path = tmp / f"{preset}-{stage}.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.fixture(scope="module")
def chain(tmp_path_factory, small_dataset):
    tmp = tmp_path_factory.mktemp("audio_chain")
    data = tmp / "ds"
    shutil.copytree(small_dataset, data)
    (tmp / "audio.yaml").write_text(yaml.safe_dump({"name": "t", "audio": AUDIO}))
    assert main(["data", "speak", str(data), "--config", str(tmp / "audio.yaml"), "--split", "train",
                 "--split", "test", "--limit-per-split", str(CLIPS_PER_SPLIT), "--quiet"]) == 0  # fmt: skip
    stage3 = tmp / "stage3.yaml"
    stage3.write_text(yaml.safe_dump({
        "data": str(data), "out": str(tmp / "s3"), "schedule": "interleave:2:8+nopad",
        "model": TINY_MODEL, "vocab_size": 400, "batch_size": 4, "max_steps": 2,
        "warmup_steps": 1, "save_every": 2, "precision": "fp32", "threads": 1,
    }))  # fmt: skip
    assert main(["train", "--config", str(stage3), "--quiet"]) == 0
    assert main(["audio", "cache", str(data), "--quiet"]) == 0
    previous = tmp / "s3" / "final"
    for stage in ("stage1", "stage2", "stage4"):
        out = tmp / stage
        config = _stage_config(tmp, stage, data, previous, out)
        assert main(["train", "--config", str(config), "--quiet"]) == 0
        previous = out / "final"
    return {"tmp": tmp, "data": data, "final": previous}


def test_the_cache_holds_every_clip_and_stages_read_only_cached_frames(chain):
    entries = list((chain["data"] / "encoder-cache").rglob("*.safetensors"))
    assert len(entries) == 2 * CLIPS_PER_SPLIT
    meta = json.loads((chain["tmp"] / "stage1" / "final" / "omni_reasoner.json").read_text())
    assert meta["stage"] == "alignment"


def test_each_stage_checkpoint_hears_and_says_how(chain):
    from omni_reasoner.model.adapter import has_adapter
    from omni_reasoner.model.thinker import load_thinker

    text_meta = json.loads((chain["tmp"] / "s3" / "final" / "omni_reasoner.json").read_text())
    assert "audio" not in text_meta
    for stage, name in (("stage1", "alignment"), ("stage2", "mixed"), ("stage4", "acoustic_tis")):
        final = chain["tmp"] / stage / "final"
        meta = json.loads((final / "omni_reasoner.json").read_text())
        assert meta["stage"] == name and meta["audio"]["crop_mode"] == "crop"
        assert meta["audio"]["markers"] == ["<audio>", "</audio>"]
        assert has_adapter(final)
        model, tokenizer = load_thinker(final)
        ids = [tokenizer.convert_tokens_to_ids(t) for t in (*SPECIAL_TOKENS, *AUDIO_TOKENS)]
        assert len(set(ids)) == len(ids) and tokenizer.unk_token_id not in ids
        assert model.get_input_embeddings().weight.shape[0] >= len(tokenizer)


def test_stage1_trains_the_adapter_alone_first(chain):
    """Steps before train_thinker_after leave the Thinker as it was; later ones change it."""
    from safetensors.torch import load_file

    from omni_reasoner.train.audio import AudioStage  # noqa: F401 (the module under test)

    tmp = chain["tmp"]
    before = load_file(tmp / "s3" / "final" / "model.safetensors")
    config = _stage_config(
        tmp, "stage1", chain["data"], tmp / "s3" / "final", tmp / "frozen", max_steps=2
    )
    assert main(["train", "--config", str(config), "--quiet"]) == 0
    frozen = load_file(tmp / "frozen" / "final" / "model.safetensors")
    after = load_file(tmp / "stage1" / "final" / "model.safetensors")
    key = "model.layers.0.mlp.up_proj.weight"
    torch.testing.assert_close(frozen[key], before[key], rtol=0, atol=0)
    assert not torch.equal(after[key], before[key])
    adapter_frozen = load_file(tmp / "frozen" / "final" / "adapter.safetensors")
    adapter_after = load_file(tmp / "stage1" / "final" / "adapter.safetensors")
    assert not all(torch.equal(adapter_frozen[k], adapter_after[k]) for k in adapter_after)


def test_stage1_can_start_a_transformer_adapter_and_train_its_layers(chain):
    from safetensors.torch import load_file

    tmp = chain["tmp"]
    config = _stage_config(tmp, "stage1", chain["data"], tmp / "s3" / "final", tmp / "layers",
                           max_steps=2)  # fmt: skip
    data = yaml.safe_load(config.read_text())
    config.write_text(yaml.safe_dump(data | {"audio": data["audio"] | {"layers": 1}}))
    assert main(["train", "--config", str(config), "--quiet"]) == 0
    final = tmp / "layers" / "final"
    assert json.loads((final / "adapter_config.json").read_text())["layers"] == 1
    weights = load_file(final / "adapter.safetensors")
    assert weights["layers.0.linear2.weight"].abs().sum() > 0  # started at zero, now trained
    meta = json.loads((final / "omni_reasoner.json").read_text())
    assert meta["audio"]["adapter"]["layers"] == 1


def test_stage1_can_train_whispers_top_layer_and_later_stages_hear_with_it(chain, tmp_path, capsys):
    """audio.whisper_layers: 1 -- frames cached one layer below the top, that layer trained
    in the adapter (slower), stage 2 loads it, and `ask --audio` hears through it."""
    from safetensors.torch import load_file

    from omni_reasoner.model.audio_encoder import AudioEncoder

    tmp = chain["tmp"]
    config = _stage_config(tmp, "stage1", chain["data"], tmp / "s3" / "final", tmp / "wl1",
                           max_steps=2)  # fmt: skip
    data = yaml.safe_load(config.read_text())
    config.write_text(yaml.safe_dump(data | {"audio": data["audio"] | {"whisper_layers": 1}}))
    cache = chain["data"] / "encoder-cache"
    before = len(list(cache.rglob("*.safetensors")))
    assert main(["audio", "cache", str(chain["data"]), "--split", "train", "--whisper-layers", "1",
                 "--quiet"]) == 0  # fmt: skip
    # the training clips again, at the new depth (another key)
    assert len(list(cache.rglob("*.safetensors"))) == before + CLIPS_PER_SPLIT
    assert main(["train", "--config", str(config), "--quiet"]) == 0
    assert len(list(cache.rglob("*.safetensors"))) == before + CLIPS_PER_SPLIT  # all hits
    final = tmp / "wl1" / "final"
    adapter_config = json.loads((final / "adapter_config.json").read_text())
    assert adapter_config["whisper_layers"] == 1 and adapter_config["whisper"]["d_model"] == 384
    whisper = AudioEncoder.from_pretrained().encoder
    trained = load_file(final / "adapter.safetensors")
    copied = whisper.layers[-1].fc1.weight
    assert trained["whisper_top.0.fc1.weight"].shape == copied.shape
    assert not torch.equal(trained["whisper_top.0.fc1.weight"], copied)  # it trained
    # Whisper's layer and norm, and nothing else, learn at whisper_lr_scale x lr
    state = torch.load(tmp / "wl1" / "checkpoint-last" / "trainer_state.pt", weights_only=False)
    slow = [g for g in state["optimizer"]["param_groups"] if g["lr_scale"] == 0.1]
    assert sum(len(g["params"]) for g in slow) == sum(k.startswith("whisper_") for k in trained)
    meta = json.loads((final / "omni_reasoner.json").read_text())
    assert meta["audio"]["encoder_id"].endswith("-below1")
    stage2 = _stage_config(tmp, "stage2", chain["data"], final, tmp / "wl1-s2", max_steps=2)
    data = yaml.safe_load(stage2.read_text())
    stage2.write_text(yaml.safe_dump(data | {"audio": data["audio"] | {"whisper_layers": 2}}))
    assert main(["train", "--config", str(stage2), "--quiet"]) == 2  # asks for another depth
    assert "the adapter in" in capsys.readouterr().err
    stage2.write_text(yaml.safe_dump(data))
    assert main(["train", "--config", str(stage2), "--quiet"]) == 0
    meta = json.loads((tmp / "wl1-s2" / "final" / "omni_reasoner.json").read_text())
    assert meta["audio"]["adapter"]["whisper_layers"] == 1
    wav = _a_test_clip(chain, tmp_path)
    capsys.readouterr()
    assert main(["ask", "--audio", str(wav), "--model", str(tmp / "wl1-s2" / "final"), "--json",
                 "--pipeline", "e2e", "--max-new-tokens", "8"]) == 0  # fmt: skip
    assert json.loads(capsys.readouterr().out)["pipeline"] == "e2e"


def test_an_audio_stage_resumes_after_a_kill_exactly(chain):
    from safetensors.torch import load_file

    tmp = chain["tmp"]
    config = _stage_config(tmp, "stage4", chain["data"], tmp / "stage2" / "final", tmp / "resumed")
    killed = _run(
        ["train", "--config", str(config), "--quiet"], {"OMNI_REASONER_KILL_AFTER_STEPS": "2"}
    )
    assert killed.returncode == -9, killed.stderr[-2000:]
    assert not (tmp / "resumed" / "final").exists()
    resumed = _run(["train", "--config", str(config), "--quiet"])
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    for name in ("model.safetensors", "adapter.safetensors"):
        a = load_file(tmp / "resumed" / "final" / name)
        b = load_file(chain["final"] / name)
        assert a.keys() == b.keys()
        for key in a:
            torch.testing.assert_close(a[key], b[key], rtol=1e-4, atol=1e-5)


def _a_test_clip(chain, tmp_path) -> Path:
    import soundfile

    from omni_reasoner.data.speak import decode_audio
    from omni_reasoner.train.audio import read_clips

    clip = read_clips(chain["data"], "test")[0]
    path = tmp_path / "question.wav"
    soundfile.write(path, decode_audio(clip["audio"]), 16000)
    return path


def test_ask_audio_e2e_reports_the_fields(chain, tmp_path, capsys):
    wav = _a_test_clip(chain, tmp_path)
    args = ["ask", "--audio", str(wav), "--model", str(chain["final"]), "--json",
            "--pipeline", "e2e", "--max-new-tokens", "40"]  # fmt: skip
    assert main(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["pipeline"] == "e2e" and out["transcript"] == ""
    assert out["audio_encode_s"] > 0 and out["generated_tokens"] > 0
    assert out["total_s"] >= out["audio_encode_s"]
    for key in ("spoken_text", "reasoning_text", "answer", "time_to_first_spoken_s", "stream"):
        assert key in out
    # auto picks e2e for a checkpoint that hears
    assert main(["ask", "--audio", str(wav), "--model", str(chain["final"]), "--json",
                 "--max-new-tokens", "8"]) == 0  # fmt: skip
    assert json.loads(capsys.readouterr().out)["pipeline"] == "e2e"


def test_batched_and_streaming_e2e_decode_the_same(chain):
    """The eval path (batched, left-padded embeddings) and the batch-1 engine agree."""
    from omni_reasoner.api import Reasoner
    from omni_reasoner.data.speak import decode_audio
    from omni_reasoner.infer.listening import front_end
    from omni_reasoner.train.audio import read_clips

    reasoner = Reasoner.load(chain["final"])
    front = front_end(reasoner)
    prompts = [front.prompt(decode_audio(c["audio"])) for c in read_clips(chain["data"], "test")]
    assert len({p.embeds.shape[0] for p in prompts}) > 1  # clips of different lengths
    batched = reasoner.engine.generate_batch(prompts[:3], reasoner.schedule, max_new_tokens=24)
    for prompt, stream in zip(prompts[:3], batched, strict=True):
        single = reasoner.engine.generate(prompt, reasoner.schedule, max_new_tokens=24)
        assert single.stream == stream


def test_eval_heldout_audio_e2e_and_cascade(chain, tmp_path):
    out = tmp_path / "eval.json"
    args = ["eval", "--model", str(chain["final"]), "--data", str(chain["data"]),
            "--set", "heldout-audio", "--pipeline", "e2e", "--latency-n", "1", "--json", str(out),
            "--quiet"]  # fmt: skip
    assert main(args) == 0
    result = json.loads(out.read_text())["results"][0]
    assert result["set"] == "heldout-audio" and result["pipeline"] == "e2e"
    assert result["n"] == CLIPS_PER_SPLIT
    assert result["mean_audio_encode_s"] > 0
    assert result["latency"]["median_time_to_first_spoken_s"] is not None
    assert {"accuracy", "by_category", "drift_rate", "mean_spoken_words"} <= set(result)
    # the cascade hears the same items through Whisper, with a transcript per item
    args[args.index("e2e")] = "cascade"
    args[args.index("--latency-n") + 1] = "0"
    assert main(args) == 0
    cascade = json.loads(out.read_text())["results"][0]
    assert cascade["pipeline"] == "cascade" and cascade["n"] == CLIPS_PER_SPLIT
    assert [i["id"] for i in cascade["items"]] == [i["id"] for i in result["items"]]
    assert all(i["transcript"] for i in cascade["items"])


@pytest.mark.parametrize("preset", ["tiny", "full"])
def test_every_stage_of_a_preset_hears_with_one_encoder(preset):
    """Stages 2 and 4 load the adapter stage 1 trained: one encoder, crop and pooling for all."""
    audio = [yaml.safe_load((CONFIGS.parent / preset / f"stage{s}.yaml").read_text())["audio"]
             for s in (1, 2, 4)]  # fmt: skip
    for key, default in (("encoder", ""), ("crop", True)):
        assert len({a.get(key, default) for a in audio}) == 1, key
    assert audio[0]["mix"] == {"transcribe": 1.0} and audio[0]["train_thinker_after"] > 0


def test_the_full_preset_audio_stages_train_with_tiny_shapes(chain, tmp_path, capsys):
    """configs/full/stage{1,2,4}.yaml as a GPU run would use them, on the tiny slice and model."""
    previous = chain["tmp"] / "s3" / "final"
    for stage in ("stage1", "stage2", "stage4"):
        out = chain["tmp"] / f"full-{stage}"
        config = _stage_config(chain["tmp"], stage, chain["data"], previous, out, preset="full",
                               grad_accum=1, max_len=1024, device="cpu")  # fmt: skip
        assert main(["train", "--config", str(config), "--quiet"]) == 0
        previous = out / "final"
    meta = json.loads((previous / "omni_reasoner.json").read_text())
    assert meta["stage"] == "acoustic_tis" and meta["schedule"] == "interleave:2:8"
    assert meta["audio"]["encoder"] == "whisper-tiny.en"
    wav = _a_test_clip(chain, tmp_path)
    capsys.readouterr()
    assert main(["ask", "--audio", str(wav), "--model", str(previous), "--json",
                 "--max-new-tokens", "8"]) == 0  # fmt: skip
    assert json.loads(capsys.readouterr().out)["pipeline"] == "e2e"


def test_the_ttfa_benchmark_hears_spoken_questions(chain, capsys):
    """benchmarks/speech_latency.py --audio: held-out-voice clips, hearing inside TTFA."""
    bench = _benchmark("speech_latency")
    common = ["--data", str(chain["data"]), "--n", "2", "--repeats", "1", "--talker", "espeak",
              "--max-new-tokens", "120", "--schedule", "interleave:2:8+nopad"]  # fmt: skip
    assert bench.main([*common, "--audio", "cascade"]) == 0  # the shipped text default
    out = capsys.readouterr().out
    assert "2 spoken (test voices, cascade) questions x 1 repeats" in out
    table, breakdown = out.split("TTFA breakdown")
    (row,) = [line for line in table.splitlines() if line.startswith("interleave:2:8+nopad ")]
    (parts,) = [line for line in breakdown.splitlines() if line.startswith("interleave:2:8+nopad ")]
    assert row.split()[1] == "2/2"  # both answers voiced
    hear, prefill, decode, synth, rest, ttfa = map(float, parts.split()[1:])
    assert hear > 0 and ttfa >= hear + prefill  # hearing (Whisper) counts inside TTFA
    # the tiny e2e checkpoint runs through the same benchmark (what it says is not checked)
    assert bench.main([*common, "--audio", "e2e", "--model", str(chain["final"])]) == 0
    assert "spoken (test voices, e2e)" in capsys.readouterr().out


def test_the_whisper_window_benchmark_scores_each_window(chain, capsys):
    bench = _benchmark("whisper_window")
    args = ["--data", str(chain["data"]), "--split", "test", "--per-category", "1", "--tail", "4"]
    assert bench.main(args) == 0
    lines = capsys.readouterr().out.splitlines()
    assert re.match(r"\d+ clips of .*:test, [\d.]+ s median", lines[0])
    rows = {line[:18].strip(): line[18:].split() for line in lines[2:]}
    assert list(rows) == ["30 s window", "30 s, guard", "clip+4 s, guard"]
    for heard, wer, prefix, ran_on, median, p95, ratio in rows.values():
        assert 0 <= float(heard.rstrip("%")) <= 100 and float(prefix.rstrip("%")) <= float(
            wer.rstrip("%")
        )  # the best prefix never has more edits than the whole transcript
        assert int(ran_on) >= 0 and 0 < float(median) <= float(p95) and ratio.endswith("x")
    assert rows["30 s window"][-1] == "1.0x"


def _benchmark(name: str):
    import importlib.util

    path = Path(__file__).resolve().parents[1] / "benchmarks" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_hearing_benchmark_compares_transcripts_with_what_was_said(chain, tmp_path, capsys):
    bench = _benchmark("hearing")
    assert bench.word_errors("Add nine to forty-two.", "add 9 to forty two") == (0, 5)
    assert bench.word_errors("a b c d", "a x c") == (2, 4)  # one substitution, one deletion
    out = tmp_path / "hearing.json"
    args = ["--model", str(chain["final"]), "--data", str(chain["data"]), "--json", str(out),
            "--max-new-tokens", "12"]  # fmt: skip
    assert bench.main(args) == 0
    table = capsys.readouterr().out
    assert f"{CLIPS_PER_SPLIT} clips" in table and "e2e numbers" in table and "whisper WER" in table
    items = json.loads(out.read_text())["items"]
    assert len(items) == CLIPS_PER_SPLIT
    for item in items:
        for name in ("e2e", "whisper"):
            assert set(item[name]) == {"transcript", "numbers_ok", "word_errors"}
    # Whisper hears clean espeak clips of short questions: most keep every number
    assert sum(item["whisper"]["numbers_ok"] for item in items) >= CLIPS_PER_SPLIT // 2


def test_bad_audio_stage_configs_are_one_line(tmp_path, chain, capsys):
    tmp = chain["tmp"]
    config = _stage_config(
        tmp_path, "stage2", chain["data"], tmp / "stage1" / "final", tmp_path / "o"
    )
    data = yaml.safe_load(config.read_text())
    for change, needle in (
        ({"mix": {"speech": 1.0}}, "audio.mix kind 'speech'"),
        ({"colour": 1}, "unknown key(s) colour"),
        ({"layers": -2}, "audio.layers must be an integer >= 0"),
        ({"layers": True}, "audio.layers must be an integer >= 0"),
    ):
        config.write_text(yaml.safe_dump(data | {"audio": data["audio"] | change}))
        assert main(["train", "--config", str(config), "--quiet"]) == 2
        assert needle in capsys.readouterr().err
    config.write_text(yaml.safe_dump(data | {"init_from": ""}))
    assert main(["train", "--config", str(config), "--quiet"]) == 2
    assert "set init_from" in capsys.readouterr().err
    assert main(["audio", "cache", str(tmp_path)]) == 2
    assert "has no clips" in capsys.readouterr().err


def test_item_kinds_follow_the_mix_and_do_not_depend_on_order():
    from omni_reasoner.train.audio import item_kind

    mix = {"audio": 0.7, "text": 0.3}
    kinds = [item_kind(f"train:{i}", 0, mix) for i in range(2000)]
    assert set(kinds) == {"audio", "text"}
    assert abs(kinds.count("text") / len(kinds) - 0.3) < 0.05
    assert kinds == [item_kind(f"train:{i}", 0, mix) for i in range(2000)]
    assert kinds != [item_kind(f"train:{i}", 1, mix) for i in range(2000)]  # per epoch
    assert np.unique([item_kind("x", e, {"transcribe": 1.0}) for e in range(5)]).tolist() == [
        "transcribe"
    ]
