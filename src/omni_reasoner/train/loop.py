"""The training loop: one process on a CPU, or many under torchrun / accelerate (DDP).

Reads a built dataset, re-schedules each item with the model's tokenizer, trains with
AdamW + warm-up + cosine decay, bf16 autocast where the hardware has it, gradient
accumulation, and writes `save_pretrained` checkpoints (safetensors) that a killed run
resumes from exactly: same data order, same optimizer state.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import time
from pathlib import Path

from omni_reasoner.data.store import DatasetError, load_split, read_manifest
from omni_reasoner.device import resolve_device
from omni_reasoner.train.config import TrainConfig
from omni_reasoner.train.examples import IGNORE, encode_example, pick_question

TRAINING_COLUMNS = ["id", "question", "question_spoken", "reasoning", "response"]
LAST = "checkpoint-last"
FINAL = "final"
META = "omni_reasoner.json"


def cpu_has_bf16() -> bool:
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def pick_device(config: TrainConfig):
    return resolve_device(config.device)


def use_bf16(config: TrainConfig, device) -> bool:
    import torch

    if config.precision == "fp32":
        return False
    supported = torch.cuda.is_bf16_supported() if device.type == "cuda" else cpu_has_bf16()
    if config.precision == "bf16" and not supported:
        raise ValueError(f"precision bf16 asked for, but this {device.type} has no bf16 support")
    return supported


def lr_at(step: int, config: TrainConfig) -> float:
    if step < config.warmup_steps:
        return config.lr * (step + 1) / config.warmup_steps
    progress = (step - config.warmup_steps) / max(1, config.max_steps - config.warmup_steps)
    cosine = 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))
    return config.lr * (config.min_lr_ratio + (1 - config.min_lr_ratio) * cosine)


def training_corpus(rows: list[dict]):
    for row in rows:
        yield row["question"]
        yield row["question_spoken"]
        yield row["reasoning"]
        yield row["response"]


def _atomic_save(model, tokenizer, state: dict, meta: dict, target: Path, extra=None) -> None:
    """Write a checkpoint directory whole or not at all; `extra(tmp)` adds files (the adapter)."""
    import torch

    tmp = target.with_name(f".{target.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    model.save_pretrained(tmp, safe_serialization=True)
    tokenizer.save_pretrained(tmp)
    if extra is not None:
        extra(tmp)
    if state:
        torch.save(state, tmp / "trainer_state.pt")
    (tmp / META).write_text(json.dumps(meta, indent=2) + "\n")
    old = target.with_name(f".{target.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        os.replace(target, old)
    os.replace(tmp, target)
    shutil.rmtree(old, ignore_errors=True)


# how a run executes, not what it learns: a resumed run may change them (another machine)
RUNTIME_FIELDS = ("threads", "length_chunks")


def with_defaults(saved: dict) -> dict:
    """A saved run's config as this version reads it: fields added since then take their
    defaults, so a run started before a new option existed still resumes."""
    from omni_reasoner.train.config import train_config_from_dict

    try:
        return train_config_from_dict(saved, saved.get("name", "custom")).to_dict()
    except (ValueError, TypeError):  # not readable any more: compared as it was saved
        return saved


def config_changes(saved: dict, now: dict) -> list[str]:
    """The fields in which a resumed run's config differs from the one it started with."""
    return sorted(
        k for k in set(saved) | set(now) if k not in RUNTIME_FIELDS and saved.get(k) != now.get(k)
    )


def _resume_dir(out: Path) -> Path | None:
    for candidate in (out / LAST, out / f".{LAST}.old"):
        if (candidate / "trainer_state.pt").is_file():
            return candidate
    return None


class Batches:
    """Epoch-wise shuffled order, resumable from (epoch, cursor)."""

    def __init__(self, n: int, seed: int, epoch: int = 0, cursor: int = 0):
        self.n, self.seed, self.epoch, self.cursor = n, seed, epoch, cursor
        self._order = self._permutation()

    def _permutation(self):
        import numpy as np

        return np.random.default_rng(self.seed + 1000 * self.epoch).permutation(self.n)

    def take(self, k: int) -> list[tuple[int, int]]:
        out = []
        while len(out) < k:
            if self.cursor >= self.n:
                self.epoch, self.cursor = self.epoch + 1, 0
                self._order = self._permutation()
            out.append((int(self._order[self.cursor]), self.epoch))
            self.cursor += 1
        return out


PAD_WIDTH_TO = 16


def collate(examples, pad_id: int, device):
    """Pad a batch to a multiple of PAD_WIDTH_TO: few distinct shapes keep the CPU's bf16
    kernel caches small (with one shape per batch, memory grew by ~0.5 GB a minute)."""
    import torch

    longest = max(len(e.input_ids) for e in examples)
    width = -(-longest // PAD_WIDTH_TO) * PAD_WIDTH_TO
    ids = torch.full((len(examples), width), pad_id, dtype=torch.long)
    labels = torch.full((len(examples), width), IGNORE, dtype=torch.long)
    attention = torch.zeros((len(examples), width), dtype=torch.long)
    for i, e in enumerate(examples):
        ids[i, : len(e.input_ids)] = torch.tensor(e.input_ids)
        labels[i, : len(e.labels)] = torch.tensor(e.labels)
        attention[i, : len(e.input_ids)] = 1
    return ids.to(device), labels.to(device), attention.to(device)


def text_examples(rows, picks, config: TrainConfig, pieces, calculator: bool):
    """Picked (item, epoch) pairs -> (encoded examples, the questions asked, the rows they
    came from, dropped too long)."""
    examples, questions, kept, dropped = [], [], [], 0
    for index, epoch in picks:
        row = rows[index]
        question = pick_question(row, config.question_form, epoch, config.question_noise)
        example = encode_example(row, config.schedule, pieces, question, calculator)
        if len(example.input_ids) > config.max_len:
            dropped += 1
            continue
        examples.append(example)
        questions.append(question)
        kept.append(row)
    return examples, questions, kept, dropped


def length_chunks(lengths: list[int], n_chunks: int) -> list[list[int]]:
    """Indices sorted by length and cut into at most `n_chunks` groups of near-equal size.
    Padded to its own longest member, each group wastes far less than the whole batch does
    (training examples range from ~30 to ~400 tokens)."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    n = min(n_chunks, len(order))  # no examples, no chunks
    return [order[k * len(order) // n : (k + 1) * len(order) // n] for k in range(n)]


def label_count(labels) -> int:
    """The tokens a causal-LM loss averages over (labels shift by one)."""
    return int((labels[:, 1:] != IGNORE).sum())


def weigh_chunks(chunks: list[dict]) -> list[tuple[dict, float]]:
    """(inputs, share of the batch's loss tokens): the model averages over each chunk, so a
    chunk's loss times its share sums to the loss of the whole batch. A chunk with nothing to
    learn is left out (its mean loss would be 0 / 0)."""
    counts = [label_count(inputs["labels"]) for inputs in chunks]
    total = sum(counts)
    return [(inputs, n / total) for inputs, n in zip(chunks, counts, strict=True) if n]


def collate_chunks(examples, n_chunks: int, pad_id: int, device, extra=None):
    """Encoded examples -> (chunks as (model inputs, loss share), real tokens), in
    `n_chunks` length-sorted chunks; `extra(group)` adds a stage's own inputs for the
    examples at those indices."""
    chunks = []
    for group in length_chunks([len(e.input_ids) for e in examples], n_chunks):
        ids, labels, attention = collate([examples[i] for i in group], pad_id, device)
        inputs = {"input_ids": ids, "attention_mask": attention, "labels": labels}
        chunks.append(inputs | (extra(group) if extra else {}))
    tokens = sum(int(c["attention_mask"].sum()) for c in chunks)
    return weigh_chunks(chunks), tokens


def text_batch(rows, picks, config: TrainConfig, pieces, calculator: bool, pad_id: int, device):
    """Stage 3's micro-batch: text question -> stream -> (chunks as (model inputs, loss share),
    tokens, dropped too long)."""
    examples, _, _, dropped = text_examples(rows, picks, config, pieces, calculator)
    chunks, tokens = collate_chunks(examples, config.length_chunks, pad_id, device)
    return chunks, tokens, dropped


def train(config: TrainConfig, progress: bool = True, on_eval=None) -> Path:
    """Train (or resume) the Thinker; returns the final checkpoint directory."""
    import torch
    import torch.distributed as dist
    from tqdm import tqdm
    from transformers.utils import logging as hf_logging

    from omni_reasoner.model.thinker import load_thinker, new_thinker
    from omni_reasoner.model.tokenizer import TokenPieces, tokenizer_fingerprint, train_tokenizer

    hf_logging.disable_progress_bar()  # our own bar reports training; no "Writing model shards"
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    device = pick_device(config)
    if world > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    if device.type == "cuda":
        torch.cuda.set_device(device)
    if config.threads:
        torch.set_num_threads(config.threads)
    bf16 = use_bf16(config, device)
    torch.manual_seed(config.seed)

    manifest = read_manifest(config.data)
    rows = load_split(config.data, "train", columns=TRAINING_COLUMNS)
    if not rows:
        raise DatasetError(f"dataset {config.data} has no training items")
    calculator = manifest["trace_style"] == "calculator"
    out = Path(config.out)
    resume = _resume_dir(out)
    if resume is not None:
        model, tokenizer = load_thinker(resume)
        state = torch.load(resume / "trainer_state.pt", weights_only=False)
        changed = config_changes(with_defaults(state["config"]), config.to_dict())
        if changed:
            raise ValueError(
                f"{out} holds a run with another config (differs in: {', '.join(changed)}); use another out"
            )
    else:
        state = None
        if config.init_from:
            model, tokenizer = load_thinker(config.init_from)
        else:
            tokenizer = train_tokenizer(training_corpus(rows), vocab_size=config.vocab_size)
            model = new_thinker(config.model, tokenizer)
    # stages 1, 2, 4: the Thinker hears (train/audio.py), module = Thinker + adapter; with a
    # reader, a frozen pretrained encoder reads the question too (train/reader.py)
    from omni_reasoner.model.reader import has_reader

    stage = None
    start = resume or (Path(config.init_from) if config.init_from else None)
    if config.audio is not None:
        from omni_reasoner.train.audio import AudioStage

        stage = AudioStage(config, model, tokenizer, rows, start)
    elif config.reader is not None:
        from omni_reasoner.train.reader import ReaderStage

        stage = ReaderStage(config, model, tokenizer, rows, start, manifest["trace_style"])
    elif start is not None and has_reader(start):
        raise ValueError(
            f"{start} reads questions with a reader: add a `reader:` section to the config"
        )
    module = stage.module if stage is not None else model  # what the optimizer trains
    module.to(device)
    module.train()
    encoder = getattr(stage, "encoder", None)  # an audio stage's frozen Whisper: not trained,
    if encoder is not None:  # so not in `module`, but it encodes clips missing from the cache
        encoder.to(device)
    pieces = TokenPieces(tokenizer)
    # a frozen encoder (the reader's) is neither counted nor given to the optimizer
    trainable = [(n, p) for n, p in module.named_parameters() if p.requires_grad]
    n_params = sum(p.numel() for _, p in trainable)

    # groups by weight decay (matrices only) and learning-rate share (a stage may train
    # pretrained parameters slower: `lr_scale(name)`)
    lr_scale = getattr(stage, "lr_scale", lambda name: 1.0)
    groups: dict[tuple[float, float], list] = {}
    for n, p in trainable:
        decay = config.weight_decay if p.dim() >= 2 else 0.0
        groups.setdefault((decay, lr_scale(n)), []).append(p)
    optimizer = torch.optim.AdamW(
        [
            {"params": params, "weight_decay": decay, "lr_scale": scale}
            for (decay, scale), params in groups.items()
        ],
        lr=config.lr,
        betas=(0.9, 0.95),
        fused=device.type == "cuda",
    )
    step, examples_seen, tokens_seen, dropped = 0, 0, 0, 0
    n_items = stage.n_items if stage is not None else len(rows)
    batches = Batches(n_items, config.seed)
    if state is not None:
        optimizer.load_state_dict(state["optimizer"])
        step, examples_seen, tokens_seen = (
            state["step"],
            state["examples_seen"],
            state["tokens_seen"],
        )
        dropped = state.get("dropped", 0)
        batches = Batches(n_items, config.seed, state["epoch"], state["cursor"])
        torch.set_rng_state(state["torch_rng"])

    ddp_model = module
    if world > 1:
        ddp_model = torch.nn.parallel.DistributedDataParallel(
            module,
            device_ids=[device.index] if device.type == "cuda" else None,
            find_unused_parameters=bool(stage and config.audio.train_thinker_after),
        )

    meta = {
        "format": "omni-reasoner thinker",
        "schedule": config.schedule,
        "trace_style": manifest["trace_style"],
        "question_form": config.question_form,
        "data": str(config.data),
        "data_fingerprint": manifest.get("fingerprint"),
        "parameters": n_params,
        "precision": "bf16" if bf16 else "fp32",
        "device": device.type,
        "world_size": world,
        "tokenizer_fingerprint": tokenizer_fingerprint(tokenizer),
    }
    if config.audio is not None:
        meta |= {"stage": config.stage, "audio": stage.meta()}
    elif config.reader is not None:
        meta |= {"reader": stage.meta()}
    log_path = out / "log.jsonl"
    out.mkdir(parents=True, exist_ok=True)
    if rank == 0:
        (out / "train_config.json").write_text(json.dumps(config.to_dict(), indent=2) + "\n")

    def save(target: Path, with_state: bool) -> None:
        if rank != 0:
            return
        trainer_state = {}
        if with_state:
            trainer_state = {
                "config": config.to_dict(),
                "optimizer": optimizer.state_dict(),
                "step": step,
                "examples_seen": examples_seen,
                "tokens_seen": tokens_seen,
                "dropped": dropped,
                "epoch": batches.epoch,
                "cursor": batches.cursor,
                "torch_rng": torch.get_rng_state(),
            }
        _atomic_save(
            model,
            tokenizer,
            trainer_state,
            {**meta, "step": step, "examples_seen": examples_seen},
            target,
            extra=stage.save if stage is not None else None,
        )

    def log(record: dict) -> None:
        if rank == 0:
            with open(log_path, "a") as f:
                f.write(json.dumps(record) + "\n")

    per_rank = config.batch_size // world if world > 1 else config.batch_size
    if per_rank < 1:
        raise ValueError(f"batch_size {config.batch_size} is smaller than the {world} processes")
    kill_after = int(os.environ.get("OMNI_REASONER_KILL_AFTER_STEPS", "0"))  # for the resume test
    bar = tqdm(
        total=config.max_steps,
        initial=step,
        desc=f"train {config.schedule}",
        disable=not progress or rank != 0,
        dynamic_ncols=True,
    )
    window_tokens, window_start, window_loss, window_n = 0, time.time(), 0.0, 0
    while step < config.max_steps:
        for group in optimizer.param_groups:
            group["lr"] = lr_at(step, config) * group.get("lr_scale", 1.0)
        optimizer.zero_grad(set_to_none=True)
        if stage is not None:
            stage.before_step(step)
        step_loss = 0.0
        for micro in range(config.grad_accum):
            picks = batches.take(config.batch_size)[rank::world][:per_rank]
            if stage is not None:
                chunks, n_tok, too_long = stage.batch(picks, calculator)
            else:
                chunks, n_tok, too_long = text_batch(
                    rows, picks, config, pieces, calculator, tokenizer.pad_token_id, device
                )
            dropped += too_long
            for k, (inputs, share) in enumerate(chunks):
                # DDP averages gradients once, at the last backward of the step
                sync = micro == config.grad_accum - 1 and k == len(chunks) - 1
                context = ddp_model.no_sync() if world > 1 and not sync else _null()
                with context:
                    with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
                        loss = ddp_model(**inputs).loss
                        loss = loss * share / config.grad_accum
                    loss.backward()
                step_loss += loss.item()
            window_tokens += n_tok * world
            tokens_seen += n_tok * world
        examples_seen += config.batch_size * config.grad_accum
        if config.grad_clip:
            torch.nn.utils.clip_grad_norm_(module.parameters(), config.grad_clip)
        optimizer.step()
        step += 1
        window_loss += step_loss
        window_n += 1
        if step % config.log_every == 0 or step == config.max_steps:
            elapsed = time.time() - window_start
            record = {
                "step": step,
                "examples_seen": examples_seen,
                "loss": round(window_loss / window_n, 4),
                "lr": lr_at(step - 1, config),
                "tokens_per_s": round(window_tokens / max(elapsed, 1e-9), 1),
                "time": time.time(),
            }
            if device.type == "cuda":  # what a smaller GPU must hold (the allocator's peak)
                record["peak_gpu_gib"] = round(torch.cuda.max_memory_allocated(device) / 2**30, 2)
            log(record)
            bar.set_postfix(loss=f"{record['loss']:.3f}", tok_s=f"{record['tokens_per_s']:.0f}")
            window_tokens, window_start, window_loss, window_n = 0, time.time(), 0.0, 0
        bar.update(1)
        if (
            config.eval_every
            and (step % config.eval_every == 0 or step == config.max_steps)
            and rank == 0
        ):
            reader = getattr(stage, "reader", None)
            result = evaluate_during_training(model, tokenizer, config, manifest, reader)
            log({"step": step, "examples_seen": examples_seen, "eval": result})
            if on_eval is not None:
                on_eval(step, result)
            module.train()
        if step % config.save_every == 0 and step < config.max_steps:
            save(out / LAST, with_state=True)
            if kill_after and step >= kill_after and rank == 0:
                os.kill(os.getpid(), signal.SIGKILL)
    bar.close()
    meta["dropped_too_long"] = dropped
    meta["tokens_seen"] = tokens_seen
    save(out / FINAL, with_state=False)
    save(out / LAST, with_state=True)
    if world > 1:
        dist.barrier()
    return out / FINAL


def evaluate_during_training(
    model, tokenizer, config: TrainConfig, manifest: dict, reader=None
) -> dict:
    """Greedy accuracy per category on a fixed slice of the validation split."""
    from omni_reasoner.eval.harness import evaluate_rows, pick_rows, stream_budget

    if config.eval_split not in manifest["files"]:
        return {"error": f"no split {config.eval_split}"}
    rows = pick_rows(load_split(config.data, config.eval_split), config.eval_per_category)
    model.eval()
    report = evaluate_rows(
        model,
        tokenizer,
        rows,
        config.schedule,
        trace_style=manifest["trace_style"],
        question_form="spoken",
        max_new_tokens=stream_budget(manifest, config.schedule),
        reader=reader,
    )
    return {"accuracy": report["accuracy"], "by_category": report["by_category"]}


class _null:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False
