"""Training configuration: a plain dataclass per stage, read from a small YAML file."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from omni_reasoner.checks import is_count
from omni_reasoner.format.schedule import parse_schedule
from omni_reasoner.model.thinker import ThinkerShape
from omni_reasoner.train.examples import QUESTION_FORMS


class TrainConfigError(ValueError):
    pass


# audio -> transcript, audio -> stream, text -> stream
AUDIO_KINDS = ("transcribe", "audio", "text")


@dataclass
class AudioTrainConfig:
    """The `audio:` section of stages 1, 2 and 4 (docs/training.md, "Audio stages")."""

    mix: dict = field(default_factory=lambda: {"audio": 1.0})  # kind -> share of the items
    train_thinker_after: int = 0  # stage 1: steps before which only the adapter trains
    split: str = "train"  # whose clips (the dataset's `audio/<split>/`)
    limit: int = 0  # use the first N clips only; 0 = all
    encoder: str = ""  # a converted Whisper directory; "" = the bundled Whisper tiny.en
    crop: bool = True  # encode each clip at its own length (not Whisper's 30 s window)
    cache: str = ""  # encoder-frame cache directory; "" = DATA/encoder-cache
    # The adapter's shape; used only when init_from has no adapter yet (stage 1): later
    # stages train the adapter they start from.
    k: int = 4  # encoder frames stacked per Thinker token (50 Hz / 4 = 12.5 Hz)
    pool: str = "stack"
    hidden_dim: int = 0
    layers: int = 0  # transformer layers on the pooled tokens (0 = the MLP alone)
    whisper_layers: int = 0  # Whisper's top encoder layers moved into the adapter and trained
    whisper_lr_scale: float = 0.1  # their learning rate, as a share of `lr` (any stage)


@dataclass
class ReaderTrainConfig:
    """The `reader:` section of a text stage: read questions through a frozen pretrained
    encoder too (model/reader.py, docs/training.md "The reader")."""

    encoder: str = ""  # a local encoder directory; "" = all-MiniLM-L6-v2 from its wheel
    word_dropout: float = 0.3  # share of question words (not numbers) left to the encoder;
    # 1 = words reach the Thinker only through the encoder, at inference too
    tune_layers: int = 0  # the encoder's top layers trained too (0 = all frozen)
    encoder_lr_scale: float = 0.1  # their learning rate, as a share of `lr`
    read_numbers: bool = True  # false: the encoder's reading is not added to number tokens
    op_loss: float = 0.0  # weight of an auxiliary loss: the question's operations, in order,
    # read off the adapter's output (train/reader.py); 0 = none


@dataclass
class TrainConfig:
    name: str = "custom"
    stage: str = "textual_tis"  # paper stage 3: text question -> interleaved stream
    data: str = "data/tiny"  # a directory written by `omni-reasoner data build`
    out: str = "runs/custom"
    schedule: str = "interleave:2:8"
    question_form: str = "mixed"  # written | spoken | mixed
    question_noise: float = 0.0  # share of text questions given fillers per epoch (wording_noise)
    init_from: str = ""  # a local HF causal-LM checkpoint; "" trains `model` from scratch
    model: ThinkerShape = field(default_factory=ThinkerShape)
    vocab_size: int = 2048  # BPE size when the tokenizer is trained from scratch
    seed: int = 0
    batch_size: int = 32
    grad_accum: int = 1
    # each micro-batch is sorted by length and cut into this many chunks, each padded only to
    # its own longest example: the same gradient with less padding (docs/training.md)
    length_chunks: int = 1
    lr: float = 2e-3
    min_lr_ratio: float = 0.05
    warmup_steps: int = 100
    weight_decay: float = 0.1
    grad_clip: float = 1.0
    max_steps: int = 1000  # optimizer steps; the budget
    max_len: int = 1024  # longer examples are dropped (and counted)
    save_every: int = 100
    log_every: int = 10
    eval_every: int = 0  # steps between learning-curve evaluations; 0 = none
    eval_split: str = "valid"
    eval_per_category: int = 25
    precision: str = "auto"  # auto | bf16 | fp32
    threads: int = 0  # torch threads; 0 = all cores
    device: str = "auto"  # auto | cpu | cuda
    audio: AudioTrainConfig | None = None  # stages 1, 2, 4: the Thinker hears (needs init_from)
    reader: ReaderTrainConfig | None = None  # text stages: a pretrained encoder reads too

    def validate(self) -> TrainConfig:
        def need(ok: bool, why: str) -> None:
            if not ok:
                raise TrainConfigError(f"train config {self.name!r}: {why}")

        self.schedule = parse_schedule(self.schedule).name
        need(self.question_form in QUESTION_FORMS, f"question_form must be one of {QUESTION_FORMS}")
        need(
            isinstance(self.question_noise, int | float) and 0 <= self.question_noise <= 1,
            "question_noise must be a share in [0, 1]",
        )
        need(
            self.batch_size >= 1 and self.grad_accum >= 1, "batch_size and grad_accum must be >= 1"
        )
        need(
            is_count(self.length_chunks, 1),
            "length_chunks must be an integer >= 1",
        )
        need(self.max_steps >= 1, "max_steps must be >= 1")
        need(self.lr > 0, "lr must be > 0")
        need(0 <= self.min_lr_ratio <= 1, "min_lr_ratio must be in [0, 1]")
        need(self.precision in ("auto", "bf16", "fp32"), "precision must be auto, bf16 or fp32")
        need(self.device in ("auto", "cpu", "cuda"), "device must be auto, cpu or cuda")
        need(is_count(self.threads), "threads must be an integer >= 0 (0 = all cores)")
        need(
            self.vocab_size >= 300,
            "vocab_size must be >= 300 (the byte alphabet and special tokens)",
        )
        if self.audio is not None:
            mix = self.audio.mix
            need(isinstance(mix, dict) and bool(mix), "audio.mix must map kinds to shares")
            for kind, share in mix.items():
                need(kind in AUDIO_KINDS, f"audio.mix kind {kind!r} is not one of {AUDIO_KINDS}")
                need(isinstance(share, int | float) and share >= 0, "audio.mix shares must be >= 0")
            need(sum(mix.values()) > 0, "audio.mix shares must not all be 0")
            need(bool(self.init_from), "an audio stage starts from a checkpoint: set init_from")
            need(
                self.length_chunks == 1,
                "length_chunks applies to text stages (an audio batch mixes audio and text items)",
            )
            need(self.audio.train_thinker_after >= 0, "audio.train_thinker_after must be >= 0")
            need(self.audio.limit >= 0, "audio.limit must be >= 0")
            need(
                is_count(self.audio.layers),
                "audio.layers must be an integer >= 0",
            )
            need(
                is_count(self.audio.whisper_layers), "audio.whisper_layers must be an integer >= 0"
            )
            need(
                not self.audio.whisper_layers or self.audio.crop,
                "audio.whisper_layers need cropped encoding (audio.crop: true)",
            )
            scale = self.audio.whisper_lr_scale
            need(
                isinstance(scale, int | float) and 0 < scale <= 1,
                "audio.whisper_lr_scale must be in (0, 1]",
            )
        if self.reader is not None:
            need(self.audio is None, "reader and audio cannot be combined in one stage")
            dropout = self.reader.word_dropout
            need(
                isinstance(dropout, int | float) and 0 <= dropout <= 1,
                "reader.word_dropout must be a share in [0, 1]",
            )
            need(isinstance(self.reader.encoder, str), 'reader.encoder must be a path or ""')
            need(
                is_count(self.reader.tune_layers),
                "reader.tune_layers must be an integer >= 0",
            )
            need(
                isinstance(self.reader.read_numbers, bool),
                "reader.read_numbers must be true or false",
            )
            scale = self.reader.encoder_lr_scale
            need(
                isinstance(scale, int | float) and 0 < scale <= 1,
                "reader.encoder_lr_scale must be in (0, 1]",
            )
            weight = self.reader.op_loss
            need(
                isinstance(weight, int | float) and not isinstance(weight, bool) and weight >= 0,
                "reader.op_loss must be a number >= 0",
            )
        return self

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def _strict(cls, data: dict, where: str):
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise TrainConfigError(
            f"{where}: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
        )
    return data


def train_config_from_dict(data: dict, name: str = "custom") -> TrainConfig:
    if not isinstance(data, dict):
        raise TrainConfigError(f"train config {name!r} must be a mapping")
    data = dict(_strict(TrainConfig, data, f"train config {name!r}"))
    if "model" in data:
        model = data["model"] or {}
        if not isinstance(model, dict):
            raise TrainConfigError(f"train config {name!r}: model must be a mapping")
        data["model"] = ThinkerShape(**_strict(ThinkerShape, model, f"train config {name!r} model"))
    if data.get("audio") is not None:
        audio = data["audio"]
        if not isinstance(audio, dict):
            raise TrainConfigError(f"train config {name!r}: audio must be a mapping")
        data["audio"] = AudioTrainConfig(
            **_strict(AudioTrainConfig, audio, f"train config {name!r} audio")
        )
    if data.get("reader") is not None:
        reader = data["reader"]
        if not isinstance(reader, dict):
            raise TrainConfigError(f"train config {name!r}: reader must be a mapping")
        data["reader"] = ReaderTrainConfig(
            **_strict(ReaderTrainConfig, reader, f"train config {name!r} reader")
        )
    data.setdefault("name", name)
    try:
        return TrainConfig(**data).validate()
    except TypeError as exc:
        raise TrainConfigError(f"train config {name!r}: {exc}") from None


def load_train_config(path: str | Path, **overrides) -> TrainConfig:
    path = Path(path)
    if not path.is_file():
        raise TrainConfigError(f"train config not found: {path}")
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise TrainConfigError(
            f"train config {path} is not valid YAML: {str(exc).splitlines()[0]}"
        ) from None
    if isinstance(data, dict):
        data = {**data, **{k: v for k, v in overrides.items() if v is not None}}
    return train_config_from_dict(data, name=path.stem)
