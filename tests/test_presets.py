"""Every shipped preset loads, and the full-scale one trains end to end with tiny shapes.

The full-scale preset starts from a pretrained backbone on disk (`init_from`); here that
backbone is a tiny random Qwen2 with a tokenizer of its own (none of our special tokens), so
the same path a real Qwen2.5 checkpoint takes is exercised: special tokens added, embeddings
resized, trained, saved, loaded and asked.
"""

from pathlib import Path

import pytest
from tokenizers import Tokenizer, models, pre_tokenizers, trainers
from transformers import PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM

from omni_reasoner.api import Reasoner
from omni_reasoner.data.config import load_config
from omni_reasoner.format.tokens import SPECIAL_TOKENS
from omni_reasoner.train.config import load_train_config
from omni_reasoner.train.loop import train

CONFIGS = Path(__file__).resolve().parents[1] / "src" / "omni_reasoner" / "configs"


@pytest.mark.parametrize("preset", sorted(p.name for p in CONFIGS.iterdir() if p.is_dir()))
def test_presets_load(preset: str) -> None:
    data = load_config(preset)
    assert data.name == preset and data.n_valid_phrasing_per_category > 0
    for stage in sorted((CONFIGS / preset).glob("stage*.yaml")):
        config = load_train_config(stage)
        assert config.max_steps > 0 and config.schedule


def _foreign_backbone(directory: Path) -> tuple[Path, int]:
    """A tiny 'pretrained' causal LM whose tokenizer has never heard of our tokens."""
    bpe = Tokenizer(models.BPE(unk_token="[UNK]"))
    bpe.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Digits(individual_digits=True), pre_tokenizers.ByteLevel()]
    )
    corpus = ["Tom has 12 apples and gives 5 away. How many are left? The answer is 7."] * 50
    bpe.train_from_iterator(
        corpus, trainers.BpeTrainer(vocab_size=400, special_tokens=["[UNK]"],
                                    initial_alphabet=pre_tokenizers.ByteLevel.alphabet()),
    )  # fmt: skip
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=bpe, unk_token="[UNK]")
    config = Qwen2Config(
        vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=1,
        num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=2048,
    )  # fmt: skip
    Qwen2ForCausalLM(config).save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory, len(tokenizer)


def test_full_scale_preset_trains_from_a_backbone_with_tiny_shapes(tmp_path, small_dataset):
    backbone, own_tokens = _foreign_backbone(tmp_path / "backbone")
    config = load_train_config(
        CONFIGS / "full" / "stage3.yaml", data=str(small_dataset), out=str(tmp_path / "run"),
        init_from=str(backbone), batch_size=4, grad_accum=1, max_steps=3, save_every=3,
        warmup_steps=1, eval_every=0, precision="fp32", device="cpu", threads=1,
    )  # fmt: skip
    final = train(config, progress=False)
    reasoner = Reasoner.load(final)
    assert all(reasoner.tokenizer.convert_tokens_to_ids(t) is not None for t in SPECIAL_TOKENS)
    vocab = reasoner.model.get_input_embeddings().weight.shape[0]
    assert vocab >= len(reasoner.tokenizer) >= own_tokens + len(SPECIAL_TOKENS)
    answer = reasoner.ask("What is 12 minus 5?", max_new_tokens=40)
    assert answer.schedule == "interleave:2:8" and answer.stream


def test_random_backbones_of_a_given_shape_load_where_real_ones_would(tmp_path):
    """scripts/random_backbone.py (the GPU check's stand-ins for Qwen2.5 and Whisper)."""
    import subprocess
    import sys

    from omni_reasoner.model.audio_encoder import AudioEncoder
    from omni_reasoner.model.thinker import load_thinker

    script = Path(__file__).resolve().parents[1] / "scripts" / "random_backbone.py"
    for kind in ("thinker", "whisper"):
        done = subprocess.run(
            [sys.executable, script, kind, tmp_path / kind, "--shape", "tiny"],
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
    model, tokenizer = load_thinker(tmp_path / "thinker")
    assert model.get_input_embeddings().weight.shape[0] == 4096 > len(tokenizer)  # real rows kept
    assert all(tokenizer.convert_tokens_to_ids(t) is not None for t in SPECIAL_TOKENS)
    encoder = AudioEncoder.from_pretrained(tmp_path / "whisper")
    assert encoder.dim == 64 and encoder.features.feature_size == 80
    wrong = subprocess.run(
        [sys.executable, script, "thinker", tmp_path / "x", "--shape", "qwen9"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert wrong.returncode == 2 and "unknown thinker shape 'qwen9'" in wrong.stderr
    assert not (tmp_path / "x").exists()
