"""Training step time with each batch cut into length-sorted chunks (`length_chunks`), side by side.

    .venv/bin/python benchmarks/train_chunks.py [--config configs/tiny/stage3.yaml]
        [--data data/tiny-60k] [--chunks 1 2 4 8] [--batches 10] [--repeats 3] [--threads 0]
        [--tokenizer runs/default/final]

A Thinker of the config's shape (fresh weights; the tokenizer of `--tokenizer`'s checkpoint,
else one trained on the first 5,000 items)
takes the same random batches under every chunk count; the counts alternate inside each
repeat so machine noise hits them alike. Printed per count: median seconds per step
(forward + backward + AdamW), the share of computed positions that are real tokens, and the
speed-up over one chunk. `length_chunks` does not change the gradient (tests/test_thinker.py
checks it), only how much padding is computed.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

import torch
from transformers import AutoTokenizer

from omni_reasoner.data.store import load_split
from omni_reasoner.model.thinker import new_thinker
from omni_reasoner.model.tokenizer import TokenPieces, train_tokenizer
from omni_reasoner.train.config import load_train_config
from omni_reasoner.train.loop import TRAINING_COLUMNS, text_batch, training_corpus, use_bf16


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="configs/tiny/stage3.yaml")
    parser.add_argument("--data", default=None, help="default: the config's data")
    parser.add_argument("--chunks", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--batches", type=int, default=10, help="batches timed per repeat")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=0, help="0 = all cores")
    parser.add_argument(
        "--tokenizer",
        default=None,
        help="a checkpoint whose tokenizer to use (default: one trained on the first 5,000 items)",
    )
    args = parser.parse_args()

    overrides = {"data": args.data} if args.data else {}
    config = load_train_config(args.config, **overrides)
    if args.threads:
        torch.set_num_threads(args.threads)
    rows = load_split(config.data, "train", columns=TRAINING_COLUMNS)
    if args.tokenizer:
        tokenizer = AutoTokenizer.from_pretrained(args.tokenizer)
    else:
        tokenizer = train_tokenizer(training_corpus(rows[:5000]), vocab_size=config.vocab_size)
    torch.manual_seed(config.seed)
    model = new_thinker(config.model, tokenizer)
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-5)
    bf16 = use_bf16(config, torch.device("cpu"))
    pieces = TokenPieces(tokenizer)
    rng = random.Random(0)
    picks = [
        [(rng.randrange(len(rows)), 0) for _ in range(config.batch_size)]
        for _ in range(args.batches)
    ]

    def step(batch_picks, n_chunks: int) -> tuple[int, int]:
        config.length_chunks = n_chunks
        chunks, tokens, _ = text_batch(
            rows, batch_picks, config, pieces, False, tokenizer.pad_token_id, "cpu"
        )
        optimizer.zero_grad(set_to_none=True)
        for inputs, share in chunks:
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                loss = model(**inputs).loss * share
            loss.backward()
        optimizer.step()
        return tokens, sum(inputs["input_ids"].numel() for inputs, _ in chunks)

    for n in args.chunks:  # warm-up: kernels for every shape family
        step(picks[0], n)
    times = {n: [] for n in args.chunks}
    fill = {}
    for _ in range(args.repeats):
        for n in args.chunks:
            real = computed = 0
            start = time.perf_counter()
            for batch_picks in picks:
                tokens, positions = step(batch_picks, n)
                real, computed = real + tokens, computed + positions
            times[n].append((time.perf_counter() - start) / len(picks))
            fill[n] = real / computed
    base = statistics.median(times[args.chunks[0]])
    print(
        f"{args.config}: batch {config.batch_size}, {'bf16' if bf16 else 'fp32'}, "
        f"{torch.get_num_threads()} threads, {args.batches} batches x {args.repeats} repeats"
    )
    print(f"{'chunks':>6} {'s/step':>8} {'real tokens':>12} {'speed-up':>9}")
    for n in args.chunks:
        median = statistics.median(times[n])
        print(f"{n:>6} {median:>8.3f} {fill[n]:>11.0%} {base / median:>8.2f}x")


if __name__ == "__main__":
    main()
