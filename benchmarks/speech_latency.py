"""Time to first audio side by side, in one run: each schedule spoken by a real Talker.

    .venv/bin/python benchmarks/speech_latency.py [--model PATH] [--data data/tiny] [--n 20] \
        [--repeats 3] [--talker piper|espeak] [--schedule S ...]
    .venv/bin/python benchmarks/speech_latency.py --pair think-first=runs/study/X--think-first/final \
        --pair interleave:2:8=runs/study/X--interleave_2_8/final ...
    .venv/bin/python benchmarks/speech_latency.py --data data/tiny-60k --audio cascade   # spoken questions

With --pair each schedule runs on its own model, the one trained under it (the study's runs),
so that no schedule is measured on a model that never learned it.

For each question (the first N of the `test` split, spoken form; with --audio PIPELINE, the
`test` split's clips, said by voices training never heard, heard through that pipeline),
batch size 1, greedy, the answer is decoded and voiced at once (`infer.speaking`), and per
schedule it prints:
- voiced: answers that produced any audio (a model may reason past --max-new-tokens and
  never speak, e.g. think-first on a model trained to interleave); TTFA counts only those;
- TTFA (time to first audio, from the end of the question): median and p95, and the ratio
  of the medians think-first / schedule (how many times sooner the listener hears something);
- stalls (the audio player ran dry): count and seconds, summed over all answers;
- accuracy on those questions;
- the TTFA breakdown (medians, `SpeechResult.breakdown`): hear = transcribing or encoding
  the question audio (0 for text); prefill = until the first token; decode = from the first
  token until the first voiced phrase was complete; synth = synthesizing that phrase; the
  rest (handing the phrase over, the synthesis thread waiting for a core).
Schedules alternate inside each repeat, so machine noise hits all of them alike.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time

from omni_reasoner.api import Reasoner
from omni_reasoner.data.store import load_split
from omni_reasoner.eval.audio_sets import spoken_rows
from omni_reasoner.eval.scoring import is_correct
from omni_reasoner.format.schedule import as_schedule
from omni_reasoner.infer.phrases import PhrasePolicy, opening_phrases
from omni_reasoner.infer.speaking import speak
from omni_reasoner.model.talker import load_talker
from omni_reasoner.train.examples import pick_question

DEFAULT_SCHEDULES = ["think-first", "interleave:2:8", "interleave:2:8+nopad"]


def median(values: list[float]) -> float:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else float("nan")


def p95(values: list[float]) -> float:
    values = sorted(v for v in values if v is not None)
    if not values:
        return float("nan")
    return values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]


def load_models(args, parser) -> dict[str, Reasoner]:
    """Schedule -> the model that speaks under it."""
    threads = args.threads or None
    if args.pair:
        pairs = [p.split("=", 1) for p in args.pair]
        if any(len(p) != 2 or not all(p) for p in pairs):
            parser.error("--pair takes SCHEDULE=MODEL")
        if args.schedule or args.model:
            parser.error("--pair replaces --model and --schedule")
        return {schedule: Reasoner.load(model, threads=threads) for schedule, model in pairs}
    reasoner = Reasoner.load(args.model, threads=threads)
    return dict.fromkeys(args.schedule or DEFAULT_SCHEDULES, reasoner)


def new_policy(first_words: int | None) -> PhrasePolicy:
    """A fresh policy per answer (it keeps state); the library's budgets unless given."""
    return PhrasePolicy() if first_words is None else PhrasePolicy(first_words=first_words)


def measure(
    models, talker, questions, rows, repeats, max_new_tokens, pipeline="auto", first_words=None
) -> dict[str, list[dict]]:
    """Every answer's numbers, per schedule; the schedules take turns on each question."""
    runs: dict[str, list[dict]] = {s: [] for s in models}
    for _ in range(repeats):
        for question, row in zip(questions, rows, strict=True):
            for schedule, model in models.items():
                result, _ = speak(
                    model,
                    question,
                    talker,
                    schedule=schedule,
                    max_new_tokens=max_new_tokens,
                    pipeline=pipeline,
                    policy=new_policy(first_words),
                )
                runs[schedule].append(
                    {
                        "ttfa": result.ttfa_s,
                        "parts": result.breakdown(),
                        "stalls": result.stalls,
                        "stall_s": result.stall_s,
                        "correct": is_correct(result.generation.answer, row["answer"]),
                    }
                )
    return runs


def report(runs: dict[str, list[dict]], out=sys.stdout) -> None:
    def column(schedule, key):
        return [r[key] for r in runs[schedule]]

    base = median(column("think-first", "ttfa")) if "think-first" in runs else math.nan
    print(
        f"{'schedule':<24} {'voiced':>7} {'ttfa_med':>9} {'ttfa_p95':>9} {'stalls':>7} "
        f"{'stall_s':>8} {'accuracy':>9} {'think-first/this':>17}",
        file=out,
    )
    for schedule in runs:
        ttfa = median(column(schedule, "ttfa"))
        ratio = f"{base / ttfa:.1f}x" if ttfa > 0 and math.isfinite(base / ttfa) else "-"
        voiced = sum(t is not None for t in column(schedule, "ttfa"))
        accuracy = statistics.mean(column(schedule, "correct"))
        print(
            f"{schedule:<24} {f'{voiced}/{len(runs[schedule])}':>7} {ttfa:>9.3f} "
            f"{p95(column(schedule, 'ttfa')):>9.3f} {sum(column(schedule, 'stalls')):>7d} "
            f"{sum(column(schedule, 'stall_s')):>8.2f} {accuracy:>9.1%} {ratio:>17}",
            file=out,
        )
    print(file=out)
    parts = ("audio_encode", "prefill", "decode", "synth", "rest")
    print(
        "TTFA breakdown, medians in seconds: hear + prefill + decode + synth + rest = TTFA",
        file=out,
    )
    print(f"{'schedule':<24} {'hear':>8} {'prefill':>8} {'decode':>8} {'synth':>8} {'rest':>8} {'ttfa':>8}", file=out)  # fmt: skip
    for schedule in runs:
        voiced = [r for r in runs[schedule] if r["parts"] is not None]
        cells = "".join(f" {median([r['parts'][p] for r in voiced]):>8.3f}" for p in parts)
        print(f"{schedule:<24}{cells} {median([r['ttfa'] for r in voiced]):>8.3f}", file=out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="default: the embedded model")
    parser.add_argument("--data", default="data/tiny", help="a built dataset directory")
    parser.add_argument("--n", type=int, default=20, help="the first N questions of `test`")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--talker", default="piper", help="piper (default) or espeak")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: as is)")
    parser.add_argument(
        "--no-phrase-cache",
        action="store_true",
        help="synthesize every phrase afresh (default: the Talker's phrase cache, warmed with "
        "the usual opening phrases as the server does)",
    )
    parser.add_argument("--max-new-tokens", type=int, default=1024)
    parser.add_argument(
        "--first-words",
        type=int,
        help=f"the phrase policy's first-phrase word budget (default {PhrasePolicy.first_words})",
    )
    parser.add_argument(
        "--audio",
        choices=["auto", "cascade", "e2e"],
        help="ask the test split's spoken clips (held-out voices) through this pipeline",
    )
    parser.add_argument(
        "--schedule",
        action="append",
        metavar="S",
        help=f"repeatable; default: {', '.join(DEFAULT_SCHEDULES)}",
    )
    parser.add_argument(
        "--pair",
        action="append",
        metavar="SCHEDULE=MODEL",
        help="run SCHEDULE on MODEL (repeatable; replaces --model and --schedule)",
    )
    args = parser.parse_args(argv)
    if args.n < 1 or args.repeats < 1:
        parser.error("--n and --repeats must be at least 1")
    if args.first_words is not None and args.first_words < 1:
        parser.error("--first-words must be at least 1")
    try:  # bad input fails with one line, before any model loads
        for schedule in args.schedule or []:
            as_schedule(schedule)
        for pair in args.pair or []:
            schedule, equals, model = pair.partition("=")
            if not (schedule and equals and model):
                raise ValueError(f"--pair takes SCHEDULE=MODEL, not {pair!r}")
            as_schedule(schedule)
        talker = load_talker(args.talker, phrase_cache=not args.no_phrase_cache)
        if args.audio:
            rows, questions = spoken_rows(args.data, "test")
            rows, questions = rows[: args.n], questions[: args.n]
        else:
            rows = load_split(args.data, "test")[: args.n]
            questions = [pick_question(row, "spoken") for row in rows]
        if not rows:
            raise ValueError(f"{args.data} has an empty test split")
        models = load_models(args, parser)
    except (ValueError, OSError) as exc:
        parser.error(str(exc).splitlines()[0])
    pipeline = args.audio or "auto"
    if hasattr(talker, "warm"):
        talker.warm(opening_phrases(new_policy(args.first_words)))
    for schedule, model in models.items():  # warm-up: first calls pay for lazy setup
        speak(model, questions[0], talker, schedule=schedule, max_new_tokens=50, pipeline=pipeline)
    started = time.time()
    runs = measure(
        models,
        talker,
        questions,
        rows,
        args.repeats,
        args.max_new_tokens,
        pipeline=pipeline,
        first_words=args.first_words,
    )
    for schedule, model in models.items():
        print(f"{schedule}: model {model.path} (trained {model.schedule}, {model.trace_style})")
    heard = f"spoken (test voices, {pipeline})" if args.audio else "text"
    cache = "off"
    if hasattr(talker, "warm"):
        cache = f"{talker.size} phrases kept, {talker.hits} of {talker.hits + talker.misses} phrases said from it"
    print(
        f"talker {talker.name} (phrase cache: {cache}); {len(questions)} {heard} questions x "
        f"{args.repeats} repeats; first phrase after {new_policy(args.first_words).first_words} "
        f"word(s) at the latest; {time.time() - started:.0f} s"
    )
    report(runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
