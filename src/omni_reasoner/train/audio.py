"""The audio stages (paper stages 1, 2, 4) for the training loop: model, items, batches.

A stage trains `AudioThinker` (the Thinker + the adapter) on the spoken questions of a
dataset (`data speak` clips). Each item is, for one epoch, one of three kinds, drawn from
its id and the epoch with the shares of the config's `audio.mix`:

    transcribe  audio -> what was said, then <eos>       (stage 1 alignment; some in stage 2)
    audio       audio -> the interleaved stream          (stages 2 and 4)
    text        the question as text -> the stream       (stage 2; replay in stage 4)

Encoder frames always come through the fp16 `EncoderCache` (filled once by `omni-reasoner
audio cache`, or on the fly), so every stage and the e2e path see the same rounded frames.
Stage 1's `train_thinker_after: N` trains the adapter alone (the Thinker frozen) for N
steps, then the adapter, the Thinker and the new audio-token embeddings together.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from omni_reasoner.format.tokens import EOS
from omni_reasoner.train.config import AUDIO_KINDS, TrainConfig
from omni_reasoner.train.examples import IGNORE, encode_example, pick_question

CACHE_DIRNAME = "encoder-cache"


def cache_dir(config: TrainConfig) -> Path:
    return Path(config.audio.cache or Path(config.data) / CACHE_DIRNAME)


def item_kind(item_id: str, epoch: int, mix: dict) -> str:
    """The kind of an item in an epoch: a function of (id, epoch, shares) only, so a resumed
    run makes the same choices."""
    kinds = [k for k in AUDIO_KINDS if mix.get(k, 0) > 0]
    shares = np.array([mix[k] for k in kinds], float)
    digest = hashlib.blake2b(f"{item_id}:{epoch}:kind".encode(), digest_size=8).digest()
    u = int.from_bytes(digest, "big") / 2**64
    return kinds[int(np.searchsorted(np.cumsum(shares / shares.sum()), u, side="right"))]


def read_clips(data: str | Path, split: str, limit: int = 0) -> list[dict]:
    """The kept clips of a split in speaking order (id, text, FLAC bytes, num_samples).

    Clips longer than Whisper's 30 s window are left out: the encoder cannot take them
    (a long GSM8K question said by a slow voice can run to 40 s). `data speak` drops such
    clips itself now; this keeps data spoken before that usable.
    """
    from omni_reasoner.data.speak import MAX_CLIP_SAMPLES, load_clips

    clips = load_clips(data, split, columns=["id", "text", "audio", "num_samples"])
    clips = [clip for clip in clips if clip["num_samples"] <= MAX_CLIP_SAMPLES]
    return clips[:limit] if limit else clips


def load_encoder(config: TrainConfig, below_top: int = 0):
    """The frozen encoder, stopping `below_top` layers short of the top (the adapter's
    `whisper_layers` are those layers)."""
    from omni_reasoner.model.audio_encoder import AudioEncoder

    path = config.audio.encoder or None
    return AudioEncoder.from_pretrained(path, crop=config.audio.crop, below_top=below_top)


class AudioStage:
    """What the loop needs for an audio stage: `module` to train, `n_items`, `batch(picks)`,
    `before_step(step)`, `meta()` and `save(directory)`."""

    def __init__(self, config: TrainConfig, model, tokenizer, rows: list[dict], start: Path):
        from omni_reasoner.data.store import DatasetError
        from omni_reasoner.model.adapter import AdapterError, has_adapter, load_adapter
        from omni_reasoner.model.audio_thinker import (
            AudioLayout,
            AudioThinker,
            add_audio_tokens,
            new_adapter,
        )
        from omni_reasoner.model.encoder_cache import EncoderCache
        from omni_reasoner.model.tokenizer import TokenPieces

        self.config = config
        self.audio = config.audio
        self.pieces = TokenPieces(tokenizer)
        add_audio_tokens(tokenizer, model)  # a no-op for a checkpoint that already hears
        hidden = model.get_input_embeddings().weight.shape[1]
        if has_adapter(start):
            adapter = load_adapter(start)
            trained = adapter.config.whisper_layers
            if self.audio.whisper_layers and self.audio.whisper_layers != trained:
                raise AdapterError(
                    f"audio.whisper_layers is {self.audio.whisper_layers}, but the adapter in "
                    f"{start} trains {trained} Whisper layers (a later stage keeps its adapter's)"
                )
            self.encoder = load_encoder(config, trained)
        else:
            self.encoder = load_encoder(config, self.audio.whisper_layers)
            shape = ("k", "pool", "hidden_dim", "layers", "whisper_layers")
            adapter_config = {name: getattr(self.audio, name) for name in shape}
            adapter = new_adapter(adapter_config, self.encoder, hidden)
        if adapter.config.whisper_layers and not self.encoder.crop:
            raise AdapterError("adapter whisper_layers need cropped encoding (audio.crop: true)")
        self.cache = EncoderCache(
            cache_dir(config), self.encoder.encoder_id, self.encoder.crop_mode
        )
        if (adapter.config.encoder_dim, adapter.config.thinker_dim) != (self.encoder.dim, hidden):
            raise AdapterError(
                f"the adapter in {start} maps {adapter.config.encoder_dim} -> "
                f"{adapter.config.thinker_dim}, but the encoder gives {self.encoder.dim} and "
                f"the Thinker takes {hidden}"
            )
        self.module = AudioThinker(
            model, adapter, AudioLayout.of(tokenizer), tokenizer.pad_token_id
        )
        self.eos = tokenizer.convert_tokens_to_ids(EOS)
        by_id = {r["id"]: r for r in rows}
        clips = read_clips(config.data, self.audio.split, self.audio.limit)
        self.items = [(clip, by_id[clip["id"]]) for clip in clips if clip["id"] in by_id]
        if not self.items:
            raise DatasetError(
                f"no clips of split {self.audio.split!r} in {config.data} match its training items"
            )

    @property
    def n_items(self) -> int:
        return len(self.items)

    def lr_scale(self, name: str) -> float:
        """Whisper's own layers (copied into the adapter) learn slower than the new parts."""
        return self.audio.whisper_lr_scale if name.startswith("adapter.whisper_") else 1.0

    def before_step(self, step: int) -> None:
        self.module.freeze_thinker(step < self.audio.train_thinker_after)

    def audio_tokens(self, num_samples: int) -> int:
        frames = self.encoder.frames_for(num_samples)
        return -(-frames // self.module.adapter.config.k)

    def example(self, clip: dict, row: dict, kind: str, epoch: int, calculator: bool):
        """(kind, ids, labels, length): for audio kinds, the suffix after the audio."""
        closing = self.module.layout.closing
        if kind == "transcribe":
            ids, _ = self.pieces.encode(clip["text"])
            suffix = [closing["transcribe"], *ids, self.eos]
            labels = [IGNORE, *ids, self.eos]
        else:
            question = (
                pick_question(row, self.config.question_form, epoch, self.config.question_noise)
                if kind == "text"
                else row["question_spoken"] or row["question"]
            )
            encoded = encode_example(row, self.config.schedule, self.pieces, question, calculator)
            if kind == "text":
                return kind, encoded.input_ids, encoded.labels, len(encoded.input_ids)
            cut = encoded.prompt_len
            suffix = [closing["answer"], *encoded.input_ids[cut:]]
            labels = [IGNORE, *encoded.labels[cut:]]
        length = len(self.module.layout.prefix) + 2 + self.audio_tokens(clip["num_samples"])
        return kind, suffix, labels, length + len(suffix)

    def batch(self, picks: list[tuple[int, int]], calculator: bool):
        """Model inputs for picked (item, epoch) pairs -> (chunks as (inputs, loss share),
        tokens, dropped too long): one chunk, since audio and text items mix in it."""
        from omni_reasoner.data.speak import decode_audio
        from omni_reasoner.model.audio_thinker import MixedBatch

        batch, tokens, dropped, samples = MixedBatch(), 0, 0, []
        for index, epoch in picks:
            clip, row = self.items[index]
            kind = item_kind(clip["id"], epoch, self.audio.mix)
            kind, ids, labels, length = self.example(clip, row, kind, epoch, calculator)
            if length > self.config.max_len:
                dropped += 1
                continue
            tokens += length
            if kind == "text":
                batch.text_ids.append(ids)
                batch.text_labels.append(labels)
            else:
                samples.append(decode_audio(clip["audio"]))
                batch.audio_prefix.append(list(self.module.layout.prefix))
                batch.audio_suffix.append(ids)
                batch.audio_labels.append(labels)
        if not tokens:
            return [], 0, dropped
        if samples:
            frames = self.cache.encode(self.encoder, samples)
            batch.frames, batch.frame_mask = frames.hidden, frames.mask
        return [({"batch": batch}, 1.0)], tokens, dropped

    def meta(self) -> dict:
        from omni_reasoner.model.audio_thinker import audio_meta

        return audio_meta(self.encoder, self.module.adapter, self.audio.encoder)

    def save(self, directory: Path) -> None:
        from omni_reasoner.model.adapter import save_adapter

        save_adapter(self.module.adapter, directory)


def fill_cache(
    data: str | Path,
    splits: list[str],
    cache: str | Path | None = None,
    encoder_path: str = "",
    crop: bool = True,
    batch_size: int = 8,
    progress: bool = True,
    below_top: int = 0,
    device: str = "auto",
) -> dict:
    """Encode every kept clip of `splits` into the cache once (hits are skipped, so a killed
    run resumes where it stopped); `below_top` for an adapter with `whisper_layers`.
    Returns counts and throughput."""
    import time

    from tqdm import tqdm

    from omni_reasoner.data.speak import decode_audio
    from omni_reasoner.device import resolve_device
    from omni_reasoner.model.audio_encoder import AudioEncoder
    from omni_reasoner.model.encoder_cache import EncoderCache

    clips = [clip for split in splits for clip in read_clips(data, split)]
    encoder = AudioEncoder.from_pretrained(encoder_path or None, crop=crop, below_top=below_top)
    encoder.to(resolve_device(device))
    store = EncoderCache(
        Path(cache or Path(data) / CACHE_DIRNAME), encoder.encoder_id, encoder.crop_mode
    )
    started = time.perf_counter()
    with tqdm(total=len(clips), desc="encode", unit="clip", disable=not progress) as bar:
        for start in range(0, len(clips), batch_size):
            chunk = clips[start : start + batch_size]
            store.encode(encoder, [decode_audio(c["audio"]) for c in chunk])
            bar.update(len(chunk))
    seconds = time.perf_counter() - started
    stats = store.stats
    return {
        "clips": len(clips),
        "encoded": stats.writes,
        "cached_already": stats.hits,
        "seconds": round(seconds, 2),
        "encoded_per_s": round(stats.writes / seconds, 2) if seconds and stats.writes else None,
        "cache": str(store.directory),
    }
