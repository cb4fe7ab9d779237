"""scripts/study.py: one run per schedule at an equal budget, published for the results page."""

import importlib.util
import json
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _study():
    spec = importlib.util.spec_from_file_location("study", ROOT / "scripts" / "study.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_seeded_study_run_trains_evaluates_and_publishes(small_dataset, tmp_path):
    config = tmp_path / "tiny.yaml"
    config.write_text(yaml.safe_dump({
        "model": {"hidden_size": 32, "num_layers": 1, "num_heads": 2, "num_kv_heads": 2,
                  "intermediate_size": 64, "max_positions": 1024},
        "vocab_size": 400, "batch_size": 4, "precision": "fp32", "threads": 1,
    }))  # fmt: skip
    study = _study()
    args = ["--data", str(small_dataset), "--config", str(config), "--steps", "2",
            "--eval-every", "0", "--schedule", "think-first", "--seed", "1", "--sets", "test",
            "--per-category", "1", "--latency-n", "1", "--out", str(tmp_path / "runs"),
            "--publish", str(tmp_path / "pub")]  # fmt: skip
    study.main(args)
    run = tmp_path / "runs" / f"{small_dataset.name}--think-first--seed1"
    assert json.loads((run / "train_config.json").read_text())["seed"] == 1
    published = tmp_path / "pub" / run.name
    assert {p.name for p in published.iterdir()} == {"eval.json", "log.jsonl", "data_manifest.json"}
    report = json.loads((published / "eval.json").read_text())
    assert [r["schedule"] for r in report["results"]] == ["think-first"]
    assert study.slug("interleave:2:8+nopad", "data/x") == "x--interleave_2_8-nopad"  # seed 0
    log = (run / "log.jsonl").read_text()
    study.main(args)  # a finished run is not trained again
    assert (run / "log.jsonl").read_text() == log
