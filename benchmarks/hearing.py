"""How well an e2e checkpoint hears: its own transcript of held-out-voice clips, beside Whisper's.

    .venv/bin/python benchmarks/hearing.py --model runs/audio/stage4/final --data data/tiny-60k

Stage 1 teaches the Thinker to write down what it heard (the `<transcribe>` task), and the
later stages keep some of it. Asked that task on each clip of a split (default `test`: voices
training never heard), its transcript is compared with what was said: all numbers heard
(counted as the data builder's round trip counts them: values, so "one hundred five" and
"105" agree) and the word error rate (digits spelled out first). Whisper tiny.en (the cascade's recogniser, primed the
same way) transcribes the same clips. Where the e2e model loses answers that the cascade
keeps, this says whether it misheard the numbers or misread a question it heard.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict

import torch


def word_errors(reference: str, hypothesis: str) -> tuple[int, int]:
    """(edit distance in words, reference length), numbers in digits or words alike."""
    from omni_reasoner.eval.wer import normalized_words, word_edits

    ref = normalized_words(reference)
    return word_edits(ref, normalized_words(hypothesis))[0], len(ref)


@torch.inference_mode()
def model_transcript(reasoner, front, samples, max_new_tokens: int) -> str:
    """Greedy `<transcribe>` continuation of one clip, until end of sequence."""
    from omni_reasoner.format.tokens import EOS

    embeds = reasoner.engine._audio_embeds(front.prompt(samples, task="transcribe"))
    eos = reasoner.tokenizer.convert_tokens_to_ids(EOS)
    out = reasoner.model.generate(
        inputs_embeds=embeds[None],
        attention_mask=torch.ones(1, embeds.shape[0], dtype=torch.long),
        max_new_tokens=max_new_tokens,
        do_sample=False,
        eos_token_id=eos,
        pad_token_id=reasoner.tokenizer.pad_token_id,
    )
    ids = [i for i in out[0].tolist() if i != eos]
    return "".join(reasoner.engine.pieces.piece(i) for i in ids).strip()


def main(argv: list[str] | None = None) -> int:
    from omni_reasoner.api import Reasoner
    from omni_reasoner.data.roundtrip import number_mismatch
    from omni_reasoner.eval.audio_sets import spoken_rows
    from omni_reasoner.infer.listening import front_end
    from omni_reasoner.model.asr import ARITHMETIC_PROMPT, WhisperTranscriber

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="a checkpoint that hears (audio stages)")
    parser.add_argument("--data", default="data/tiny-60k")
    parser.add_argument("--split", default="test")
    parser.add_argument("--per-category", type=int, default=0, help="0: every kept clip")
    parser.add_argument("--max-new-tokens", type=int, default=160)
    parser.add_argument("--no-whisper", action="store_true", help="skip the Whisper column")
    parser.add_argument("--json", help="write per-clip transcripts here")
    args = parser.parse_args(argv)
    try:
        reasoner = Reasoner.load(args.model)
        front = front_end(reasoner)
        rows, audios = spoken_rows(args.data, args.split, args.per_category)
        if not rows:
            raise ValueError(f"{args.data} has no kept clips of split {args.split!r}")
    except (ValueError, OSError) as exc:
        parser.error(str(exc).splitlines()[0])
    whisper = None if args.no_whisper else WhisperTranscriber(threads=1, prompt=ARITHMETIC_PROMPT)
    hearers = {"e2e": lambda a: model_transcript(reasoner, front, a.samples, args.max_new_tokens)}
    if whisper is not None:
        hearers["whisper"] = lambda a: whisper(a.samples)
    totals = {name: defaultdict(lambda: [0, 0, 0, 0]) for name in hearers}  # ok, n, errs, words
    items, started = [], time.time()
    for row, audio in zip(rows, audios, strict=True):
        said = row["question_spoken"] or row["question"]
        item = {"id": row["id"], "category": row["category"], "said": said}
        for name, hear in hearers.items():
            heard = hear(audio)
            missing = number_mismatch(said, heard)
            errs, n_words = word_errors(said, heard)
            for key in (row["category"], "all"):
                cell = totals[name][key]
                cell[0] += not missing
                cell[1] += 1
                cell[2] += errs
                cell[3] += n_words
            item[name] = {"transcript": heard, "numbers_ok": not missing, "word_errors": errs}
        items.append(item)
    print(
        f"{args.model}: {len(rows)} clips of {args.data} {args.split!r}; {time.time() - started:.0f} s"
    )
    print(
        f"{'category':18s} {'n':>4s}  "
        + "  ".join(f"{n + ' numbers':>14s} {n + ' WER':>11s}" for n in hearers)
    )
    for key in sorted(totals["e2e"], key=lambda k: (k == "all", k)):
        cells = []
        for name in hearers:
            ok, n, errs, n_words = totals[name][key]
            cells.append(f"{100 * ok / n:13.1f}% {100 * errs / max(n_words, 1):10.1f}%")
        print(f"{key:18s} {totals['e2e'][key][1]:4d}  " + "  ".join(cells))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(
                {"model": args.model, "data": args.data, "split": args.split, "items": items},
                f,
                indent=1,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
