"""The cascade's Whisper: the padded 30 s window against the clip plus a little silence.

    .venv/bin/python benchmarks/whisper_window.py --data data/tiny-60k --split valid_phrasing \
        [--tail 0.5 1 2 4] [--repeats 1] [--threads 1]

The cascade hears a spoken question with Whisper tiny.en, whose encoder costs the same 30 s
of frames for a 4 s question; that pass is most of the cascade's time to first audio
(docs/speech-out.md). CTranslate2 also takes a shorter window (whisper.cpp's `audio_ctx`),
but a window cut right at the speech makes the decoder repeat itself (docs/audio-model.md,
"cropped"): the silence after the speech is how it knows the question ended. So each
`--tail` keeps that much silence after the clip, and runs with the transcriber's `guard`
(a length cap and repeated sentences dropped); the 30 s window runs with and without it.

On a split's clips (`data speak`; default `valid_phrasing`, said by the dev voices: choose
a tail there, never on `test`), each setting transcribes every clip, the settings taking
turns on each clip so machine noise hits them alike. Per setting: clips whose every number
was heard (as the data builder's round trip counts them), word error rate against the
question (digits spelled out; `prefix`: of the transcript's best prefix, so repeats after
the question do not count), transcripts more than 1.5x the question's length (the
decoder ran on), and the median and 95th-percentile time per clip, with the ratio of the
full window's median to this one's, measured in the same run.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time


def main(argv: list[str] | None = None) -> int:
    from omni_reasoner.api import Reasoner
    from omni_reasoner.data.roundtrip import number_mismatch
    from omni_reasoner.eval.audio_sets import spoken_rows
    from omni_reasoner.eval.wer import normalized_words, word_edits
    from omni_reasoner.model.asr import ARITHMETIC_PROMPT, WhisperTranscriber

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="data/tiny-60k")
    parser.add_argument("--split", default="valid_phrasing")
    parser.add_argument("--per-category", type=int, default=0, help="0: every kept clip")
    parser.add_argument("--tail", type=float, nargs="+", default=[0.5, 1.0, 2.0, 4.0])
    parser.add_argument("--repeats", type=int, default=1, help="passes over the clips")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--model", help="also answer each transcript with this Thinker (the cascade's accuracy)"
    )
    args = parser.parse_args(argv)
    try:
        rows, audios = spoken_rows(args.data, args.split, args.per_category)
        if not rows:
            raise ValueError(f"{args.data} has no kept clips of split {args.split!r}")
        settings = {"30 s window": (None, False), "30 s, guard": (None, True)}
        settings |= {f"clip+{t:g} s, guard": (t, True) for t in args.tail}
        hearers = {
            name: WhisperTranscriber(
                threads=args.threads, prompt=ARITHMETIC_PROMPT, tail_s=tail, guard=guard
            )
            for name, (tail, guard) in settings.items()
        }
        reasoner = Reasoner.load(args.model) if args.model else None
    except (ValueError, OSError) as exc:
        parser.error(str(exc).splitlines()[0])

    names = list(hearers)
    times = {name: [] for name in names}
    heard = {name: 0 for name in names}
    edits = {name: 0 for name in names}
    prefix_edits = {name: 0 for name in names}
    ran_on = {name: 0 for name in names}
    right = {name: 0 for name in names}
    words = 0
    for repeat in range(args.repeats):
        for i, (row, audio) in enumerate(zip(rows, audios, strict=True)):
            reference = normalized_words(row["question"])
            if repeat == 0:
                words += len(reference)
            turn = (i + repeat) % len(names)
            answered: dict[str, bool] = {}  # settings often hear the same words: answer once
            for name in names[turn:] + names[:turn]:
                start = time.perf_counter()
                transcript = hearers[name](audio.samples)
                times[name].append(time.perf_counter() - start)
                if repeat == 0:
                    hypothesis = normalized_words(transcript)
                    heard[name] += not number_mismatch(row["question"], transcript)
                    whole, prefix = word_edits(reference, hypothesis)
                    edits[name] += whole
                    prefix_edits[name] += prefix
                    ran_on[name] += len(hypothesis) > 1.5 * len(reference)
                    if reasoner is not None:
                        if transcript not in answered:
                            answered[transcript] = answers_right(
                                reasoner, transcript, row["answer"]
                            )
                        right[name] += answered[transcript]

    n = len(rows)
    durations = [a.duration_s for a in audios]
    print(
        f"{n} clips of {args.data}:{args.split}, {statistics.median(durations):.1f} s median "
        f"({min(durations):.1f}-{max(durations):.1f} s), {args.repeats} pass(es), "
        f"{args.threads} thread(s)"
    )
    full = statistics.median(times[names[0]])
    header = f"{'setting':<18} {'numbers heard':>13} {'WER':>6} {'prefix':>6} {'ran on':>6} "
    header += f"{'right':>6} " if reasoner is not None else ""
    print(header + f"{'median s':>8} {'p95 s':>6} {'full/this':>9}")
    for name in names:
        spread = sorted(times[name])
        median = statistics.median(spread)
        p95 = spread[min(len(spread) - 1, round(0.95 * (len(spread) - 1)))]
        print(
            f"{name:<18} {heard[name] / n:>12.1%} {edits[name] / max(words, 1):>6.1%} "
            f"{prefix_edits[name] / max(words, 1):>6.1%} {ran_on[name]:>6} "
            + (f"{right[name] / n:>6.1%} " if reasoner is not None else "")
            + f"{median:>8.3f} {p95:>6.3f} {full / median:>8.1f}x"
        )
    return 0


def answers_right(reasoner, transcript: str, reference: str) -> bool:
    """Does the Thinker, reading this transcript as the cascade would, answer right?"""
    from omni_reasoner.eval.scoring import is_correct
    from omni_reasoner.infer.listening import AudioInputError, question_from_transcript

    try:
        question = question_from_transcript(transcript)
    except AudioInputError:  # nothing recognised: no answer
        return False
    return is_correct(reasoner.ask(question).answer, reference)


if __name__ == "__main__":
    sys.exit(main())
