"""The Thinker: a stock Hugging Face causal LM that emits the interleaved stream.

The tiny preset builds a `Qwen2ForCausalLM` from a small config; any local HF
causal-LM checkpoint (Qwen2.5-0.5B, ...) drops in by path through the same
`load_thinker`, with the stream's special tokens added to its tokenizer.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

REQUIRED_FILES = ("config.json",)
WEIGHT_FILES = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin")
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json")


class CheckpointError(ValueError):
    pass


@dataclass
class ThinkerShape:
    """Shape of a Thinker trained from scratch (the tiny preset)."""

    hidden_size: int = 256
    num_layers: int = 4
    num_heads: int = 4
    num_kv_heads: int = 4
    intermediate_size: int = 1024
    max_positions: int = 2048
    rope_theta: float = 10000.0


def new_thinker(shape: ThinkerShape, tokenizer):
    from transformers import Qwen2Config, Qwen2ForCausalLM

    config = Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=shape.hidden_size,
        intermediate_size=shape.intermediate_size,
        num_hidden_layers=shape.num_layers,
        num_attention_heads=shape.num_heads,
        num_key_value_heads=shape.num_kv_heads,
        max_position_embeddings=shape.max_positions,
        rope_theta=shape.rope_theta,
        tie_word_embeddings=True,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        bos_token_id=None,
    )
    return Qwen2ForCausalLM(config)


def check_checkpoint(path: str | Path) -> Path:
    """A clear one-line error for a directory that is not a usable checkpoint."""
    path = Path(path)
    if not path.is_dir():
        raise CheckpointError(f"no checkpoint directory {path}")
    missing = [f for f in REQUIRED_FILES if not (path / f).is_file()]
    if not any((path / f).is_file() for f in WEIGHT_FILES):
        missing.append("model.safetensors")
    if not any((path / f).is_file() for f in TOKENIZER_FILES):
        missing.append("tokenizer.json")
    if missing:
        raise CheckpointError(f"checkpoint {path} is missing {', '.join(missing)}")
    return path


def load_thinker(path: str | Path, dtype=None):
    """(model, tokenizer) from a local directory; adds special tokens to a foreign backbone."""
    import torch
    from transformers import AutoModelForCausalLM
    from transformers.utils import logging as hf_logging

    from omni_reasoner.model.tokenizer import (
        add_special_tokens,
        load_tokenizer,
        tokenizer_fingerprint,
    )

    path = check_checkpoint(path)
    hf_logging.disable_progress_bar()  # a tiny model loads in milliseconds; no bar on stderr
    try:
        tokenizer = load_tokenizer(path)
    except ValueError:
        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        add_special_tokens(tokenizer)
    try:
        model = AutoModelForCausalLM.from_pretrained(
            str(path), local_files_only=True, dtype=dtype or torch.float32
        )
    except (OSError, ValueError, RuntimeError) as exc:
        raise CheckpointError(
            f"cannot load the model in {path}: {str(exc).splitlines()[0]}"
        ) from None
    vocab = model.get_input_embeddings().weight.shape[0]
    recorded = _recorded_tokenizer(path)
    if recorded is not None and recorded != tokenizer_fingerprint(tokenizer):
        raise CheckpointError(
            f"checkpoint {path}: the tokenizer is not the one the model was trained with (they belong to different trainings)"
        )
    if len(tokenizer) > vocab:
        if recorded is not None:
            raise CheckpointError(
                f"checkpoint {path}: tokenizer has {len(tokenizer)} tokens but the model only {vocab}: "
                "they belong to different trainings"
            )
        model.resize_token_embeddings(len(tokenizer))
    return model, tokenizer


def _recorded_tokenizer(path: Path) -> str | None:
    import json

    meta = path / "omni_reasoner.json"
    if not meta.is_file():
        return None
    try:
        return json.loads(meta.read_text()).get("tokenizer_fingerprint")
    except json.JSONDecodeError:
        raise CheckpointError(f"{meta} is not valid JSON") from None
