"""Dataset rows -> (input ids, labels) for the Thinker, under one schedule.

The stream is re-scheduled here with the model's own tokenizer, so "speak 2, think 8"
counts model tokens whatever the tokenizer (units for the tiny one, BPE pieces for a
real backbone). The prompt, `<pad>` slots, forced switches and calculator results get
label -100: the loss covers only what the model must decide.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from omni_reasoner.format.schedule import Schedule, as_schedule, build_stream, loss_mask
from omni_reasoner.format.tokens import ANSWER, QUESTION, SPEAK, SPECIAL_TOKENS, THINK
from omni_reasoner.model.tokenizer import TokenPieces
from omni_reasoner.train.wording_noise import add_wording_noise

IGNORE = -100
QUESTION_FORMS = ("written", "spoken", "mixed")


@dataclass
class Encoded:
    input_ids: list[int]
    labels: list[int]
    prompt_len: int


def pick_question(row: dict, form: str, epoch: int = 0, noise: float = 0.0) -> str:
    """The question as typed (digits) or as said (words); 'mixed' alternates per item and epoch.
    With `noise` > 0 that share of items gets fillers this epoch (`train/wording_noise.py`)."""
    if form == "written":
        question = row["question"]
    elif form == "spoken":
        question = row["question_spoken"] or row["question"]
    else:
        digest = hashlib.blake2b(f"{row['id']}:{epoch}".encode(), digest_size=2).digest()
        spoken = digest[0] % 2 and row["question_spoken"]
        question = row["question_spoken"] if spoken else row["question"]
    return add_wording_noise(question, f"{row['id']}:{epoch}", noise)


def encode_prompt(question: str, pieces: TokenPieces) -> list[int]:
    tok = pieces.tokenizer
    ids, _ = pieces.encode(question)
    return [tok.convert_tokens_to_ids(QUESTION), *ids, tok.convert_tokens_to_ids(ANSWER)]


def encode_example(
    row: dict, schedule: str | Schedule, pieces: TokenPieces, question: str, calculator: bool
) -> Encoded:
    schedule = as_schedule(schedule)
    tok = pieces.tokenizer
    prompt = encode_prompt(question, pieces)
    r_ids, r_pieces = pieces.encode(row["reasoning"])
    s_ids, s_pieces = pieces.encode(row["response"])
    stream = build_stream(
        r_pieces, s_pieces, schedule, question=f"{row['question']} {row['question_spoken']}"
    )
    mask = loss_mask(stream, schedule, calculator=calculator)
    special_ids = {t: tok.convert_tokens_to_ids(t) for t in SPECIAL_TOKENS}
    r_iter, s_iter = iter(r_ids), iter(s_ids)
    ids: list[int] = []
    mode = None
    for token in stream:
        if token in special_ids:
            ids.append(special_ids[token])
            if token in (SPEAK, THINK):
                mode = token
        else:
            ids.append(next(r_iter) if mode == THINK else next(s_iter))
    labels = [i if m else IGNORE for i, m in zip(ids, mask, strict=True)]
    return Encoded(prompt + ids, [IGNORE] * len(prompt) + labels, len(prompt))
