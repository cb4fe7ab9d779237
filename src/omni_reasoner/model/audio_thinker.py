"""The Thinker that hears: a causal LM plus the audio adapter, and the audio prompt layout.

Two tasks share one layout and differ only in the token that closes the prompt, so
"transcribe this" (stage 1) and "answer this" (stages 2, 4, inference) never share a prompt:

    answer      <question> <audio> [audio embeddings] </audio> <answer>      then the stream
    transcribe  <question> <audio> [audio embeddings] </audio> <transcribe>  then the words, <eos>

The audio tokens are added to a text checkpoint's tokenizer by the first audio stage (its
embeddings grow by three rows); a checkpoint that hears says so in its `omni_reasoner.json`
under `"audio"` (encoder fingerprint, crop mode, markers, adapter), which is what makes
`pipeline="auto"` pick the end-to-end path.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from torch import nn

from omni_reasoner.format.tokens import (
    ANSWER,
    AUDIO_END,
    AUDIO_START,
    AUDIO_TOKENS,
    QUESTION,
    TRANSCRIBE,
)
from omni_reasoner.model.adapter import (
    AdapterConfig,
    AdapterError,
    AudioAdapter,
    build_audio_inputs,
)

TASKS = {"answer": ANSWER, "transcribe": TRANSCRIBE}
PAD_WIDTH_TO = 16  # as the text collate: few distinct shapes keep CPU kernel caches small


class AudioCheckpointError(ValueError):
    """A checkpoint whose audio path is missing or does not fit; one line."""


def add_audio_tokens(tokenizer, model) -> int:
    """Give a text checkpoint the audio tokens (resizing its embeddings); 0 if it has them."""
    from omni_reasoner.model.tokenizer import add_special_tokens

    if all(
        tokenizer.convert_tokens_to_ids(t) not in (None, tokenizer.unk_token_id)
        for t in AUDIO_TOKENS
    ):
        return 0
    return add_special_tokens(tokenizer, model, extra=AUDIO_TOKENS)


@dataclass(frozen=True)
class AudioLayout:
    """Token ids around the audio: prefix, (start, end) markers, and each task's closing id."""

    prefix: tuple[int, ...]
    markers: tuple[int, int]
    closing: dict = field(default_factory=dict)  # task -> token id

    @classmethod
    def of(cls, tokenizer) -> AudioLayout:
        ids = {t: tokenizer.convert_tokens_to_ids(t) for t in (QUESTION, *AUDIO_TOKENS, ANSWER)}
        missing = [t for t, i in ids.items() if i in (None, tokenizer.unk_token_id)]
        if missing:
            raise AudioCheckpointError(f"the tokenizer lacks the audio tokens {', '.join(missing)}")
        return cls(
            prefix=(ids[QUESTION],),
            markers=(ids[AUDIO_START], ids[AUDIO_END]),
            closing={task: ids[token] for task, token in TASKS.items()},
        )


@dataclass
class AudioPrompt:
    """A spoken question made ready for the engine: adapter embeddings of one clip."""

    embeds: torch.Tensor  # (N, hidden) in the Thinker's input space
    seconds: float  # the clip's duration, for display
    task: str = "answer"

    def __str__(self) -> str:
        return f"(spoken question, {self.seconds:.1f} s)"


def prompt_embeds(model, layout: AudioLayout, prompt: AudioPrompt) -> torch.Tensor:
    """(L, hidden) inputs for a batch-of-one prefill: prefix, audio between markers, closing."""
    embed = model.get_input_embeddings()
    audio = prompt.embeds.to(embed.weight.device, embed.weight.dtype)[None]
    mask = torch.ones(audio.shape[:2], dtype=torch.bool, device=audio.device)
    built = build_audio_inputs(
        embed,
        [list(layout.prefix)],
        audio,
        mask,
        [[layout.closing[prompt.task]]],
        markers=layout.markers,
    )
    return built.inputs_embeds[0]


@dataclass
class MixedBatch:
    """One training micro-batch: audio rows (frames + prompt ids + labelled suffix) and text
    rows (ids + labels), run through the Thinker together in one forward pass."""

    frames: torch.Tensor | None = None  # (A, T, encoder_dim) fp16-rounded cached frames
    frame_mask: torch.Tensor | None = None  # (A, T)
    audio_prefix: list = field(default_factory=list)  # A lists of ids before <audio>
    audio_suffix: list = field(default_factory=list)  # A lists: closing token + target ids
    audio_labels: list = field(default_factory=list)  # A lists, one label per suffix id
    text_ids: list = field(default_factory=list)  # rows of the text stage (prompt + stream)
    text_labels: list = field(default_factory=list)


class AudioThinker(nn.Module):
    """The trained part of the audio stages: Thinker + adapter (the encoder stays outside,
    frozen, its frames read through the cache)."""

    def __init__(self, thinker, adapter: AudioAdapter, layout: AudioLayout, pad_id: int):
        super().__init__()
        self.thinker = thinker
        self.adapter = adapter
        self.layout = layout
        self.pad_id = pad_id

    def freeze_thinker(self, frozen: bool) -> None:
        """Stage 1's first part trains the adapter alone (no gradients into the Thinker)."""
        self.thinker.requires_grad_(not frozen)

    def forward(self, batch: MixedBatch):
        embed = self.thinker.get_input_embeddings()
        device = embed.weight.device
        parts = []
        if batch.audio_prefix:
            audio, audio_mask = self.adapter(batch.frames.to(device), batch.frame_mask.to(device))
            built = build_audio_inputs(
                embed,
                batch.audio_prefix,
                audio,
                audio_mask,
                batch.audio_suffix,
                suffix_labels=batch.audio_labels,
                markers=self.layout.markers,
            )
            parts.append((built.inputs_embeds, built.attention_mask, built.labels))
        if batch.text_ids:
            width = max(len(r) for r in batch.text_ids)
            ids = torch.full((len(batch.text_ids), width), self.pad_id, dtype=torch.long)
            labels = torch.full_like(ids, -100)
            attention = torch.zeros_like(ids)
            for i, (row, row_labels) in enumerate(
                zip(batch.text_ids, batch.text_labels, strict=True)
            ):
                ids[i, : len(row)] = torch.tensor(row)
                labels[i, : len(row)] = torch.tensor(row_labels)
                attention[i, : len(row)] = 1
            parts.append((embed(ids.to(device)), attention.to(device), labels.to(device)))
        longest = max(p[0].shape[1] for p in parts)
        width = -(-longest // PAD_WIDTH_TO) * PAD_WIDTH_TO
        embeds = torch.cat(
            [nn.functional.pad(e, (0, 0, 0, width - e.shape[1])) for e, _, _ in parts]
        )
        attention = torch.cat([nn.functional.pad(a, (0, width - a.shape[1])) for _, a, _ in parts])
        labels = torch.cat(
            [nn.functional.pad(lab, (0, width - lab.shape[1]), value=-100) for _, _, lab in parts]
        )
        return self.thinker(inputs_embeds=embeds, attention_mask=attention, labels=labels)


def audio_meta(encoder, adapter: AudioAdapter, encoder_path: str = "") -> dict:
    """The `"audio"` entry of a checkpoint's meta: what the e2e path must load to hear."""
    return {
        "encoder": encoder_path or "whisper-tiny.en",  # "" / this name: the bundled weights
        "encoder_id": encoder.encoder_id,
        "crop_mode": encoder.crop_mode,
        "markers": [AUDIO_START, AUDIO_END],
        "tasks": {task: token for task, token in TASKS.items()},
        "adapter": asdict(adapter.config),
    }


def load_audio_encoder(audio: dict):
    """The frozen encoder a checkpoint was trained with; refuses other weights."""
    from omni_reasoner.model.audio_encoder import AudioEncoder

    name = audio.get("encoder", "")
    path = None if name in ("", "whisper-tiny.en") else Path(name)
    below_top = (audio.get("adapter") or {}).get("whisper_layers", 0)
    encoder = AudioEncoder.from_pretrained(
        path, crop=audio.get("crop_mode", "crop") == "crop", below_top=below_top
    )
    if audio.get("encoder_id") and encoder.encoder_id != audio["encoder_id"]:
        raise AudioCheckpointError(
            f"the audio encoder found ({encoder.encoder_id}) is not the one this checkpoint "
            f"was trained with ({audio['encoder_id']})"
        )
    return encoder


class AudioFrontEnd:
    """What the e2e path hears with: the frozen encoder + the checkpoint's adapter.

    Frames are rounded to fp16 as the training cache stores them, so inference sees what
    training saw."""

    def __init__(self, encoder, adapter: AudioAdapter):
        self.encoder = encoder
        self.adapter = adapter.eval()

    @classmethod
    def load(cls, checkpoint: str | Path, meta: dict) -> AudioFrontEnd:
        from omni_reasoner.model.adapter import load_adapter

        audio = meta.get("audio") or {}
        if not audio:
            raise AudioCheckpointError(f"checkpoint {checkpoint} has no audio path")
        adapter = load_adapter(checkpoint)
        encoder = load_audio_encoder(audio)
        try:
            check_depth(adapter.config.whisper_layers, encoder)
        except AdapterError as exc:
            raise AudioCheckpointError(f"checkpoint {checkpoint}: {exc}") from None
        if adapter.config.encoder_dim != encoder.dim:
            raise AudioCheckpointError(
                f"the adapter takes {adapter.config.encoder_dim}-wide frames, the encoder gives {encoder.dim}"
            )
        return cls(encoder, adapter)

    def to(self, device) -> AudioFrontEnd:
        self.encoder.to(device)
        self.adapter.to(device)
        return self

    @torch.inference_mode()
    def prompt(self, samples, task: str = "answer") -> AudioPrompt:
        encoded = self.encoder.encode([samples])
        hidden = encoded.hidden.half().float()
        embeds, mask = self.adapter(hidden, encoded.mask)
        seconds = len(samples) / 16000
        return AudioPrompt(embeds=embeds[0][mask[0]], seconds=seconds, task=task)


def check_depth(whisper_layers: int, encoder) -> None:
    """The adapter must start exactly where the frozen encoder stops."""
    if whisper_layers != encoder.below_top:
        raise AdapterError(
            f"the adapter takes over {whisper_layers} Whisper layers, but the encoder stops "
            f"{encoder.below_top} below the top"
        )


def new_adapter(config: AdapterConfig | dict, encoder, thinker_dim: int) -> AudioAdapter:
    """A fresh adapter sized for this `AudioEncoder` and Thinker (config keys k, pool,
    hidden_dim, layers, whisper_layers); Whisper layers it takes over start as the
    encoder's own."""
    from omni_reasoner.model.adapter import whisper_config

    values = asdict(config) if isinstance(config, AdapterConfig) else dict(config)
    values.update(encoder_dim=encoder.dim, thinker_dim=thinker_dim)
    check_depth(values.get("whisper_layers", 0), encoder)
    if values.get("whisper_layers"):
        values["whisper"] = whisper_config(encoder.encoder.config)
    adapter = AudioAdapter(AdapterConfig.from_dict(values))
    if adapter.config.whisper_layers:
        adapter.copy_whisper_top(encoder.encoder)
    return adapter
