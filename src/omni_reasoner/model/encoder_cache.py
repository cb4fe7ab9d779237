"""A content-addressed cache of encoder outputs, so training stages encode each clip once.

The key is the sha256 of the clip's 16 kHz float32 samples, the encoder's weight
fingerprint and the crop mode: change any of them and the old entries simply stop
matching. Each entry is one fp16 safetensors file, written atomically (temp file +
rename), so concurrent readers see a whole file or none; the file records its own key
and a checksum of its data, and anything that does not verify counts as a miss and is
rewritten.
"""

from __future__ import annotations

import hashlib
import json
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from omni_reasoner.data.store import atomic_write_bytes


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0
    corrupt: int = 0  # misses because a file was there but did not verify
    writes: int = 0


class EncoderCache:
    def __init__(self, directory: str | Path, encoder_id: str, crop_mode: str):
        self.directory = Path(directory)
        self.encoder_id = encoder_id
        self.crop_mode = crop_mode
        self.stats = CacheStats()

    def key(self, samples: np.ndarray) -> str:
        digest = hashlib.sha256()
        digest.update(f"{self.encoder_id}\0{self.crop_mode}\0".encode())
        digest.update(np.ascontiguousarray(samples, dtype=np.float32).tobytes())
        return digest.hexdigest()

    def path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.safetensors"

    def get(self, samples: np.ndarray) -> np.ndarray | None:
        """The cached (T, d) fp16 frames of a clip, or None (counted as a miss)."""
        key = self.key(samples)
        try:
            data = self.path(key).read_bytes()
        except FileNotFoundError:
            self.stats.misses += 1
            return None
        frames = _verified(data, key)
        if frames is None:
            self.stats.misses += 1
            self.stats.corrupt += 1
            return None
        self.stats.hits += 1
        return frames

    def put(self, samples: np.ndarray, frames: np.ndarray) -> None:
        """Store a clip's (T, d) frames as fp16."""
        from safetensors.numpy import save

        key = self.key(samples)
        given, frames = frames, np.ascontiguousarray(frames, dtype=np.float16)
        if not np.isfinite(frames).all():
            peak = float(np.abs(given).max())
            raise ValueError(f"encoder frames do not fit fp16 (peak {peak:.3g}); cannot cache them")
        meta = {"key": key, "sha256": hashlib.sha256(frames.tobytes()).hexdigest()}
        atomic_write_bytes(self.path(key), save({"frames": frames}, metadata=meta))
        self.stats.writes += 1

    def encode(self, encoder, clips: list[np.ndarray]):
        """`encoder.encode(clips)` through the cache: only the misses are encoded, in one batch.

        Returns the encoder's `EncodedAudio` (float32, from the fp16 entries), so a stage
        sees the same values whether a clip was a hit or was just encoded.
        """
        import torch

        from omni_reasoner.model.audio_encoder import EncodedAudio

        found = [self.get(clip) for clip in clips]
        missing = [i for i, f in enumerate(found) if f is None]
        if missing:
            fresh = encoder.encode([clips[i] for i in missing])
            for row, i in enumerate(missing):
                frames = fresh.hidden[row, : int(fresh.lengths[row])].cpu().numpy()
                self.put(clips[i], frames)
                found[i] = frames.astype(np.float16)
        lengths = [len(f) for f in found]
        hidden = torch.zeros(len(found), max(lengths), found[0].shape[1])
        for i, frames in enumerate(found):
            hidden[i, : len(frames)] = torch.from_numpy(frames.astype(np.float32))
        mask = torch.arange(max(lengths))[None, :] < torch.tensor(lengths)[:, None]
        return EncodedAudio(hidden=hidden, mask=mask)


def _verified(data: bytes, key: str) -> np.ndarray | None:
    """The frames of a cache file if it is whole and is the entry for `key`, else None."""
    from safetensors.numpy import load

    try:
        (size,) = struct.unpack("<Q", data[:8])
        meta = json.loads(data[8 : 8 + size]).get("__metadata__") or {}
        frames = load(data)["frames"]
    except Exception:  # any unreadable file is a miss, whatever broke it
        return None
    if meta.get("key") != key or frames.dtype != np.float16 or frames.ndim != 2:
        return None
    if hashlib.sha256(frames.tobytes()).hexdigest() != meta.get("sha256"):
        return None
    return frames
