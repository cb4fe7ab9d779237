"""Latency side by side, in one run: schedules against think-first, forced feeding on and off.

    .venv/bin/python benchmarks/latency.py [--model PATH] [--data data/tiny] [--n 20] [--repeats 3]
    .venv/bin/python benchmarks/latency.py --pair think-first=runs/study/X--think-first/final \
        --pair interleave:2:8=runs/study/X--interleave_2_8/final ...

With --pair each schedule runs on its own model, the one trained under it (the study's runs),
so that no schedule is measured on a model that never learned it.

For each question (the first N of the `test` split, spoken form), batch size 1, greedy:
- time to first spoken token and total time under each schedule, and the ratio of the
  medians against think-first (the paper's claim: speaking first removes the wait);
- the forced tokens of a schedule (switch markers, `<pad>` slots, calculator results)
  fed in one forward pass against one token per pass: forward passes and seconds.
Schedules alternate inside each repeat, so machine noise hits all of them alike.
"""

from __future__ import annotations

import argparse
import statistics
import time

from omni_reasoner.api import Reasoner
from omni_reasoner.data.store import load_split
from omni_reasoner.train.examples import pick_question


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model")
    parser.add_argument("--data", default="data/tiny")
    parser.add_argument("--n", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument(
        "--pair",
        action="append",
        metavar="SCHEDULE=MODEL",
        help="run SCHEDULE on MODEL (repeatable; replaces --model and --schedule)",
    )
    parser.add_argument(
        "--schedule",
        action="append",
        help="default: think-first, interleave:2:8, interleave:2:8+nopad, aligned, answer-only",
    )
    args = parser.parse_args()
    if args.pair:
        pairs = [p.split("=", 1) for p in args.pair]
        if any(len(p) != 2 for p in pairs):
            parser.error("--pair takes SCHEDULE=MODEL")
        models = {s: Reasoner.load(m, threads=args.threads or None) for s, m in pairs}
        schedules = list(models)
    else:
        reasoner = Reasoner.load(args.model, threads=args.threads or None)
        schedules = args.schedule or [
            "think-first",
            "interleave:2:8",
            "interleave:2:8+nopad",
            "aligned",
            "answer-only",
        ]
        models = dict.fromkeys(schedules, reasoner)
    questions = [pick_question(r, "spoken") for r in load_split(args.data, "test")[: args.n]]
    for model in models.values():
        model.ask(questions[0], max_new_tokens=50)  # warm-up
    ttfs = {s: [] for s in schedules}
    total = {s: [] for s in schedules}
    before = {s: [] for s in schedules}
    feed = {
        (s, together): {"passes": [], "seconds": []}
        for s in schedules
        for together in (True, False)
    }
    t0 = time.time()
    for _ in range(args.repeats):
        for question in questions:
            for schedule in schedules:
                for together in (True, False):
                    g = models[schedule].ask(
                        question, schedule=schedule, feed_forced_together=together
                    )
                    feed[(schedule, together)]["passes"].append(g.forward_passes)
                    feed[(schedule, together)]["seconds"].append(g.total_s)
                    if together:
                        ttfs[schedule].append(g.time_to_first_spoken_s)
                        total[schedule].append(g.total_s)
                        before[schedule].append(g.tokens_before_first_spoken)
    base = median(ttfs.get("think-first", [])) if "think-first" in schedules else None
    for schedule, model in models.items():
        print(f"{schedule}: model {model.path} (trained {model.schedule}, {model.trace_style})")
    print(f"{len(questions)} questions x {args.repeats} repeats; {time.time() - t0:.0f} s")
    print(
        f"{'schedule':<24} {'tok<1st':>8} {'ttfs_s':>8} {'total_s':>8} {'ttfs vs think-first':>20}"
    )
    for s in schedules:
        ratio = f"{base / median(ttfs[s]):.1f}x sooner" if base and median(ttfs[s]) > 0 else "-"
        print(
            f"{s:<24} {median(before[s]):>8.0f} {median(ttfs[s]):>8.4f} {median(total[s]):>8.4f} {ratio:>20}"
        )
    print()
    print(
        f"{'forced feeding':<24} {'passes 1-by-1':>14} {'passes fed':>11} {'s 1-by-1':>9} {'s fed':>7} {'speed-up':>9}"
    )
    for s in schedules:
        one, fed = feed[(s, False)], feed[(s, True)]
        speedup = median(one["seconds"]) / median(fed["seconds"])
        print(
            f"{s:<24} {median(one['passes']):>14.0f} {median(fed['passes']):>11.0f} "
            f"{median(one['seconds']):>9.4f} {median(fed['seconds']):>7.4f} {speedup:>8.2f}x"
        )


if __name__ == "__main__":
    main()
