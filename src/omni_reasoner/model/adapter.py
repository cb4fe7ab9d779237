"""The adapter: Whisper encoder frames -> a few Thinker input embeddings per second.

Whisper's encoder emits 50 frames a second; the Thinker reads tokens. The adapter stacks
`k` consecutive frames (k=4: 12.5 tokens a second, a 6 s question is 75 tokens) and maps
them with a 2-layer MLP into the Thinker's embedding space. Stacking rather than
averaging keeps the order of the frames inside each group -- an MLP on stacked frames
can still learn an average, never the reverse -- at the price of a k-times wider first
layer (4 x 384 -> 256 is 0.4 M parameters for the tiny Thinker). 12.5 Hz keeps about four
tokens per spoken word, the rate Qwen2-Audio-style models find enough for recognition,
while the audio prompt stays short enough for a small context.

`layers: N` adds N bidirectional transformer layers on the pooled tokens (at the Thinker's
width), so the adapter can read a word across several tokens before the Thinker sees it:
with the MLP alone, a frozen tiny Thinker did not learn to transcribe (stage 1's
adapter-only steps stayed near loss 5.3, docs/audio-second-pass). Each layer's output
projections start at zero, so a fresh adapter starts out as its MLP and the layers grow
in from there.

`whisper_layers: N` moves Whisper's top N encoder layers (and its final norm) out of the
frozen encoder into the adapter, as trained copies: the encoder then stops below them
(`AudioEncoder(below_top=N)`, and the frame cache stores that depth), so hearing can adapt
where Whisper's features are made, starting exactly from Whisper's own output.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import torch
from torch import nn
from torch.nn.utils.rnn import pad_sequence

from omni_reasoner.checks import is_count

WEIGHTS = "adapter.safetensors"
CONFIG = "adapter_config.json"
POOLS = ("stack", "mean")
# what rebuilds a Whisper encoder layer (the rest of WhisperConfig is dropout or unused)
WHISPER_LAYER_FIELDS = (
    "d_model",
    "encoder_attention_heads",
    "encoder_ffn_dim",
    "activation_function",
)


def whisper_config(encoder_config) -> dict:
    """The `whisper` entry of an adapter config, from a `WhisperConfig`."""
    return {name: getattr(encoder_config, name) for name in WHISPER_LAYER_FIELDS}


class AdapterError(ValueError):
    """A bad adapter config or checkpoint; one line for the CLI."""


@dataclass
class AdapterConfig:
    encoder_dim: int = 384  # Whisper tiny's d_model
    thinker_dim: int = 256  # the Thinker's hidden size
    k: int = 4  # encoder frames per token: 50 Hz / 4 = 12.5 Hz
    pool: str = "stack"  # "stack" (concatenate k frames) or "mean"
    hidden_dim: int = 0  # the MLP's middle width; 0 means thinker_dim
    layers: int = 0  # transformer layers on the pooled tokens; 0 = the MLP alone
    heads: int = 4  # attention heads of those layers
    whisper_layers: int = 0  # Whisper's top encoder layers, trained here (0 = all frozen)
    whisper: dict = field(default_factory=dict)  # their WhisperConfig fields (see whisper_config)

    def __post_init__(self):
        if self.pool not in POOLS:
            raise AdapterError(f"adapter pool {self.pool!r} is not one of: {', '.join(POOLS)}")
        for name in ("encoder_dim", "thinker_dim", "k", "heads"):
            if not is_count(getattr(self, name), 1):
                raise AdapterError(f"adapter {name} must be a positive integer")
        if not is_count(self.layers):
            raise AdapterError("adapter layers must be an integer >= 0")
        if self.layers and self.thinker_dim % self.heads:
            raise AdapterError(
                f"adapter heads ({self.heads}) must divide thinker_dim ({self.thinker_dim})"
            )
        if not is_count(self.whisper_layers):
            raise AdapterError("adapter whisper_layers must be an integer >= 0")
        if self.whisper_layers:
            if not isinstance(self.whisper, dict) or set(self.whisper) != set(WHISPER_LAYER_FIELDS):
                raise AdapterError(
                    f"adapter whisper_layers needs whisper: {{{', '.join(WHISPER_LAYER_FIELDS)}}}"
                )
            from transformers.activations import ACT2FN

            if self.whisper["activation_function"] not in ACT2FN:
                raise AdapterError(
                    f"adapter whisper activation_function {self.whisper['activation_function']!r} "
                    "is not one transformers knows"
                )

    @classmethod
    def from_dict(cls, data: dict) -> AdapterConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise AdapterError(f"unknown adapter config keys: {', '.join(unknown)}")
        return cls(**data)


class AudioAdapter(nn.Module):
    def __init__(self, config: AdapterConfig):
        super().__init__()
        self.config = config
        width = config.encoder_dim * (config.k if config.pool == "stack" else 1)
        hidden = config.hidden_dim or config.thinker_dim
        self.proj = nn.Sequential(
            nn.Linear(width, hidden), nn.GELU(), nn.Linear(hidden, config.thinker_dim)
        )
        self.layers = nn.ModuleList(
            nn.TransformerEncoderLayer(
                config.thinker_dim,
                config.heads,
                dim_feedforward=4 * config.thinker_dim,
                dropout=0.0,
                activation="gelu",
                batch_first=True,
                norm_first=True,
            )
            for _ in range(config.layers)
        )
        for layer in self.layers:  # start as the identity: residual outputs at zero
            for linear in (layer.self_attn.out_proj, layer.linear2):
                nn.init.zeros_(linear.weight)
                nn.init.zeros_(linear.bias)
        self.whisper_top = nn.ModuleList()
        if config.whisper_layers:
            from transformers import WhisperConfig
            from transformers.models.whisper.modeling_whisper import WhisperEncoderLayer

            if config.whisper["d_model"] != config.encoder_dim:
                raise AdapterError("adapter whisper d_model must equal its encoder_dim")
            # eager attention: it adds the fp32 key mask to the scores as they are (SDPA under
            # bf16 autocast would round the mask to -inf)
            layer_config = WhisperConfig(
                **config.whisper,
                dropout=0.0,
                attention_dropout=0.0,
                activation_dropout=0.0,
                attn_implementation="eager",
            )
            self.whisper_top.extend(
                WhisperEncoderLayer(layer_config) for _ in range(config.whisper_layers)
            )
            self.whisper_norm = nn.LayerNorm(config.encoder_dim)

    def copy_whisper_top(self, encoder: nn.Module) -> None:
        """Start the trained Whisper layers as the encoder's own top layers and final norm."""
        n = self.config.whisper_layers
        if n > len(encoder.layers):
            raise AdapterError(f"the encoder has fewer than {n} layers to copy")
        for mine, theirs in zip(self.whisper_top, encoder.layers[-n:], strict=True):
            mine.load_state_dict(theirs.state_dict())
        self.whisper_norm.load_state_dict(encoder.layer_norm.state_dict())

    def tokens_for(self, frames: torch.Tensor) -> torch.Tensor:
        """Adapter tokens for clips of `frames` encoder frames (a partial group counts)."""
        return (frames + self.config.k - 1) // self.config.k

    def forward(
        self, hidden: torch.Tensor, mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, T, encoder_dim) frames + (B, T) mask -> (B, N, thinker_dim) embeddings + (B, N) mask.

        Padded frames are zeroed first, so a clip's tokens do not depend on the batch.
        """
        k = self.config.k
        b, t, d = hidden.shape
        n = -(-t // k)
        mask = mask.bool()
        if len(self.whisper_top):  # the rest of Whisper's encoder: cropped, padding masked
            from omni_reasoner.model.audio_encoder import key_bias

            bias = key_bias(mask, hidden.dtype)
            for layer in self.whisper_top:
                hidden = layer(hidden, bias)
            hidden = self.whisper_norm(hidden)
        hidden = hidden * mask[..., None].to(hidden.dtype)
        if n * k != t:
            hidden = nn.functional.pad(hidden, (0, 0, 0, n * k - t))
            mask = nn.functional.pad(mask, (0, n * k - t))
        groups = hidden.reshape(b, n, k, d)
        if self.config.pool == "stack":
            pooled = groups.reshape(b, n, k * d)
        else:  # the mean over the real frames of each group
            counts = mask.reshape(b, n, k).sum(-1, keepdim=True).clamp(min=1)
            pooled = groups.sum(2) / counts.to(hidden.dtype)
        token_mask = mask.reshape(b, n, k).any(-1)
        out = self.proj(pooled)
        for layer in self.layers:  # padded tokens are keys no one attends to
            out = layer(out, src_key_padding_mask=~token_mask)
        out = out * token_mask[..., None].to(out.dtype)
        return out, token_mask


def save_adapter(adapter: AudioAdapter, directory: str | Path) -> None:
    """`adapter.safetensors` + `adapter_config.json` into a (Thinker checkpoint) directory."""
    from safetensors.torch import save

    from omni_reasoner.data.store import atomic_write_bytes

    directory = Path(directory)
    state = {k: v.detach().cpu().contiguous() for k, v in adapter.state_dict().items()}
    atomic_write_bytes(directory / WEIGHTS, save(state, metadata={"format": "pt"}))
    text = json.dumps(asdict(adapter.config), indent=2, sort_keys=True) + "\n"
    atomic_write_bytes(directory / CONFIG, text.encode())


def has_adapter(directory: str | Path) -> bool:
    return (Path(directory) / WEIGHTS).is_file()


def load_adapter(directory: str | Path) -> AudioAdapter:
    """The adapter saved in `directory`; a one-line error when it is missing or broken."""
    from safetensors import SafetensorError
    from safetensors.torch import load

    directory = Path(directory)
    if not (directory / WEIGHTS).is_file() or not (directory / CONFIG).is_file():
        raise AdapterError(f"{directory} holds no audio adapter ({WEIGHTS} and {CONFIG})")
    try:
        config = AdapterConfig.from_dict(json.loads((directory / CONFIG).read_text()))
    except (json.JSONDecodeError, TypeError, AttributeError):
        raise AdapterError(f"{directory / CONFIG} is not a valid adapter config") from None
    adapter = AudioAdapter(config)
    try:
        state = load((directory / WEIGHTS).read_bytes())
        adapter.load_state_dict(state)
    except (SafetensorError, RuntimeError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise AdapterError(f"cannot load {directory / WEIGHTS}: {reason}") from None
    return adapter


@dataclass
class AudioInputs:
    """What a Qwen2ForCausalLM takes for a batch with audio in its prompt.

    `audio_start[i]` is where clip i's first audio embedding sits in row i.
    `labels` is -100 everywhere except the suffix positions given labels.
    """

    inputs_embeds: torch.Tensor  # (B, L, H)
    attention_mask: torch.Tensor  # (B, L) long
    labels: torch.Tensor | None  # (B, L) long
    audio_start: list[int]
    audio_len: list[int]


def build_audio_inputs(
    embed_tokens: nn.Module,
    prefix_ids: list[list[int]],
    audio: torch.Tensor,
    audio_mask: torch.Tensor,
    suffix_ids: list[list[int]],
    *,
    suffix_labels: list[list[int]] | None = None,
    markers: tuple[int, int] | None = None,
    pad_to: int = 1,
    ignore_index: int = -100,
) -> AudioInputs:
    """Row i = embed(prefix_i) + [start] + audio_i (its real tokens) + [end] + embed(suffix_i).

    `embed_tokens` is the Thinker's `get_input_embeddings()`; `markers` the (start, end)
    token ids around the audio, or None for none. Rows are right-padded (zeros, mask 0) to
    a multiple of `pad_to`, as the text collate does, so the same function serves training
    (with `suffix_labels`) and the engine (a batch of one, no labels).
    """
    batch = len(prefix_ids)
    if not (len(suffix_ids) == batch == audio.shape[0] == audio_mask.shape[0]):
        raise ValueError("prefix_ids, audio, audio_mask and suffix_ids need the same batch size")
    if suffix_labels is not None and [len(x) for x in suffix_labels] != [
        len(x) for x in suffix_ids
    ]:
        raise ValueError("suffix_labels must have one label per suffix token")
    weight = embed_tokens.weight
    start, end = ([markers[0]], [markers[1]]) if markers else ([], [])
    audio_len = [int(n) for n in audio_mask.sum(dim=1)]
    rows, starts, label_rows = [], [], []
    for i in range(batch):
        head = torch.tensor([*prefix_ids[i], *start], dtype=torch.long, device=weight.device)
        tail = torch.tensor([*end, *suffix_ids[i]], dtype=torch.long, device=weight.device)
        clip = audio[i][audio_mask[i].bool()].to(weight.dtype)
        rows.append(torch.cat([embed_tokens(head), clip, embed_tokens(tail)]))
        starts.append(len(head))
        if suffix_labels is not None:
            ignored = len(head) + len(clip) + len(end)
            label_rows.append([ignore_index] * ignored + list(suffix_labels[i]))
    longest = max(len(r) for r in rows)
    extra = -(-longest // pad_to) * pad_to - longest
    embeds = nn.functional.pad(pad_sequence(rows, batch_first=True), (0, 0, 0, extra))
    lengths = torch.tensor([len(r) for r in rows], device=weight.device)
    attention = (torch.arange(embeds.shape[1], device=weight.device) < lengths[:, None]).long()
    labels = None
    if suffix_labels is not None:
        labels = torch.full(attention.shape, ignore_index, dtype=torch.long, device=weight.device)
        for i, row in enumerate(label_rows):
            labels[i, : len(row)] = torch.tensor(row, dtype=torch.long)
    return AudioInputs(embeds, attention, labels, starts, audio_len)
