"""The schedule study: the same tiny model, data and budget under every schedule.

    .venv/bin/python scripts/study.py --data data/tiny-60k --steps 600 --out runs/study

Trains one model per (schedule, trace style) with identical settings except the schedule,
evaluates each on the held-out sets, and writes `<out>/<run>/eval.json` plus the training
log with its learning curve (accuracy on `valid` vs problems seen). Finished runs are
skipped and a killed run resumes, so the command can simply be run again. Each finished
run's eval.json, log.jsonl and its dataset's manifest are copied to `--publish` (docs/study,
small files meant to be committed); then `scripts/make_results.py` turns them into
docs/results.md.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

from omni_reasoner.eval.report import run_evaluation
from omni_reasoner.train.config import load_train_config
from omni_reasoner.train.loop import train

SCHEDULES = [
    "answer-only",
    "think-first",
    "interleave:2:8",
    "interleave:1:4",
    "interleave:4:6",
    "interleave:2:8+lead:16",
    "interleave:2:8+nopad",
    "aligned",
]


def slug(schedule: str, data: str, seed: int = 0) -> str:
    name = f"{Path(data).name}--{schedule.replace(':', '_').replace('+', '-')}"
    return f"{name}--seed{seed}" if seed else name


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data", action="append", required=True, help="built dataset(s); one per trace style"
    )
    parser.add_argument("--config", default="configs/tiny/stage3.yaml", help="base training config")
    parser.add_argument("--schedule", action="append", help=f"default: {', '.join(SCHEDULES)}")
    parser.add_argument(
        "--steps", type=int, default=600, help="optimizer steps per run (equal budget)"
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=0,
        help="training seed; another seed is another run (publish it to its own folder, so "
        "each results table holds one run per schedule)",
    )
    parser.add_argument("--eval-every", type=int, default=150)
    parser.add_argument("--sets", default="test,heldout_phrasing")
    parser.add_argument("--per-category", type=int, default=50)
    parser.add_argument("--latency-n", type=int, default=10)
    parser.add_argument("--out", default="runs/study")
    parser.add_argument("--publish", default="docs/study", help="copy finished results here")
    args = parser.parse_args(argv)
    for data in args.data:
        for schedule in args.schedule or SCHEDULES:
            run = Path(args.out) / slug(schedule, data, args.seed)
            result = run / "eval.json"
            if result.is_file():
                print(f"done already: {run}")
                publish(run, data, Path(args.publish))
                continue
            config = load_train_config(
                args.config, data=data, out=str(run), schedule=schedule, max_steps=args.steps,
                eval_every=args.eval_every, save_every=max(50, args.steps // 6), warmup_steps=min(100, args.steps // 10),
                seed=args.seed,
            )  # fmt: skip
            final = train(config)
            run_evaluation(
                model=str(final), data=data, sets=args.sets.split(","), schedules=[schedule],
                per_category=args.per_category, latency_n=args.latency_n, json_out=str(result),
            )  # fmt: skip
            publish(run, data, Path(args.publish))
            print(json.dumps({"run": str(run), "done": True}))


def publish(run: Path, data: str, to: Path) -> None:
    target = to / run.name
    target.mkdir(parents=True, exist_ok=True)
    for name in ("eval.json", "log.jsonl"):
        shutil.copyfile(run / name, target / name)
    shutil.copyfile(Path(data) / "manifest.json", target / "data_manifest.json")


if __name__ == "__main__":
    main()
