"""Speech in: accuracy from the question text vs heard end to end vs heard by the cascade,
on the same items, per category; and the time to first spoken token, e2e vs cascade.

    python benchmarks/speech_in.py --model runs/audio/stage4/final --data data/tiny-60k \
        --set heldout-audio --per-category 50 --latency-n 20

All three read the same clips' items with the same checkpoint and schedule, in one run:
text (the spoken-form question as text), e2e (encoder + adapter into the Thinker) and
cascade (Whisper tiny.en transcript -> the same Thinker). Times count from the end of the
question audio, batch 1, so the cascade's transcription and the e2e encoding are in them.
The targets (issue 4): e2e within 5 points of text per category; e2e at least as
accurate as the cascade overall, with a lower time to first spoken token.
"""

from __future__ import annotations

import argparse
import os
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="runs/audio/stage4/final")
    parser.add_argument("--data", default="data/tiny-60k")
    parser.add_argument("--set", default="heldout-audio", help="heldout-audio or SPLIT-audio")
    parser.add_argument("--schedule", help="default: the model's")
    parser.add_argument("--per-category", type=int, default=50)
    parser.add_argument("--latency-n", type=int, default=20)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json", help="write the three reports here")
    args = parser.parse_args(argv)

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from omni_reasoner.api import Reasoner
    from omni_reasoner.data.store import atomic_write_json, read_manifest
    from omni_reasoner.eval.audio_sets import audio_split, evaluate_audio_set, spoken_rows
    from omni_reasoner.eval.harness import evaluate_rows, stream_budget

    if audio_split(args.set) is None:
        parser.error(f"--set {args.set!r} is not an audio set (heldout-audio or SPLIT-audio)")
    reasoner = Reasoner.load(args.model, threads=args.threads)
    schedule = args.schedule or reasoner.schedule
    budget = stream_budget(read_manifest(args.data), schedule)
    rows, _ = spoken_rows(args.data, audio_split(args.set), args.per_category)
    print(f"{len(rows)} items of {args.set}, model {args.model}, schedule {schedule}", flush=True)
    reports = {
        "text": evaluate_rows(
            reasoner.model,
            reasoner.tokenizer,
            rows,
            schedule,
            trace_style=reasoner.trace_style,
            question_form="spoken",
            latency_n=args.latency_n,
            max_new_tokens=budget,
            reader=reasoner.reader,
        )
    }
    for pipeline in ("e2e", "cascade"):
        reports[pipeline] = evaluate_audio_set(
            reasoner,
            args.data,
            args.set,
            schedule,
            pipeline=pipeline,
            per_category=args.per_category,
            latency_n=args.latency_n,
            max_new_tokens=budget,
        )
        assert [i["id"] for i in reports[pipeline]["items"]] == [i["id"] for i in rows]

    def acc(report: dict, category: str | None = None) -> float | None:
        value = report["by_category"][category]["accuracy"] if category else report["accuracy"]
        return None if value is None else 100 * value

    categories = sorted(reports["text"]["by_category"])
    print(f"\n{'category':<22}{'n':>5}{'text':>8}{'e2e':>8}{'cascade':>9}{'e2e-text':>10}")
    for category in [*categories, None]:
        n = reports["text"]["by_category"][category]["n"] if category else reports["text"]["n"]
        text, e2e, cascade = (acc(reports[k], category) for k in ("text", "e2e", "cascade"))
        print(
            f"{category or 'all':<22}{n:>5}{text:>7.1f}%{e2e:>7.1f}%{cascade:>8.1f}%"
            f"{e2e - text:>+9.1f}"
        )
    e2e, cascade, text = (reports[k]["latency"] for k in ("e2e", "cascade", "text"))
    ttfs = {k: r["median_time_to_first_spoken_s"] for k, r in (("e2e", e2e), ("cascade", cascade))}
    print(
        f"\nmedian time to first spoken token from the end of the question (batch 1, "
        f"{e2e['n']} items): e2e {ttfs['e2e']:.3f} s, cascade {ttfs['cascade']:.3f} s "
        f"(cascade / e2e = {ttfs['cascade'] / ttfs['e2e']:.2f}x); text prompt "
        f"{text['median_time_to_first_spoken_s']:.3f} s"
    )
    print(
        f"median hearing time: e2e encode {reports['e2e']['median_audio_encode_s']:.3f} s, "
        f"cascade transcription {reports['cascade']['median_audio_encode_s']:.3f} s"
    )
    if args.json:
        from pathlib import Path

        atomic_write_json(Path(args.json), {k: r for k, r in reports.items()})
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
