"""The frozen Whisper encoder of speech in, on inputs cropped to the utterance.

Whisper always encodes a 30 s window: a 4 s question is padded with 26 s of silence and
costs as much as a 30 s one. Here each clip is encoded at its own length (one encoder
frame per 20 ms), and a batch is padded to its longest clip with a mask, so padding
never changes a clip's frames: `encode([a, b])[0]` equals `encode([a])[0]`.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

SAMPLE_RATE = 16000
CROP_MODES = ("crop", "full")


class AudioEncodeError(ValueError):
    """Audio the encoder cannot take (empty, too long, wrong shape); one line."""


@dataclass
class EncodedAudio:
    """Encoder frames of a batch: `hidden` (B, T_max, d), `mask` (B, T_max) True on real frames."""

    hidden: torch.Tensor
    mask: torch.Tensor

    @property
    def lengths(self) -> torch.Tensor:
        return self.mask.sum(dim=1)


def key_bias(keys: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """(B, T) True where a frame may be attended to -> the additive mask Whisper's layers take."""
    bias = torch.zeros(keys.shape, dtype=dtype, device=keys.device)
    return bias.masked_fill(~keys, torch.finfo(dtype).min)[:, None, None, :]


class AudioEncoder(nn.Module):
    """Log-mel (`WhisperFeatureExtractor`) + a frozen HF `WhisperEncoder`, cropped or full-window.

    HF's `WhisperEncoder.forward` insists on exactly 3000 mel frames and takes no attention
    mask. Instead of a patched copy of that forward or a shrunken `max_source_positions`
    view (which would still attend to the padding of a batch), this runs the encoder's own
    modules in the same order -- conv1, conv2, the first T position embeddings, the layers,
    the final norm -- on cropped features, and hands the layers an additive key mask so a
    short clip never attends to the padding of a longer one. The weights and layer code
    stay Hugging Face's; only the 3000-frame check and the missing mask are bypassed.

    Crop details, chosen so cropped features are the exact prefix of Whisper's 30 s ones:
    the clip is zero-padded past its end before the STFT (as the 30 s window does), the mel
    length is rounded up to an even count (conv2 has stride 2, so no encoder frame reads
    past the clip's mel), and mel frames beyond a clip are zeros, which is what conv1's own
    zero padding shows a clip encoded alone.

    `below_top` N > 0 stops N layers short of the top and skips the final norm: those
    layers are then copied into the adapter and trained there (`AdapterConfig.whisper_layers`),
    and this frozen part, the one the cache stores, ends below them.
    """

    def __init__(self, encoder, features, crop: bool = True, below_top: int = 0):
        super().__init__()
        if not isinstance(below_top, int) or not 0 <= below_top <= len(encoder.layers):
            raise AudioEncodeError(
                f"cannot stop {below_top} layers below the top of a "
                f"{len(encoder.layers)}-layer encoder"
            )
        self.encoder = encoder.eval().requires_grad_(False)
        self.features = features
        self.crop = crop
        self.below_top = below_top
        self.frame_samples = features.hop_length * 2  # conv2's stride 2: 20 ms a frame
        self.max_frames = encoder.config.max_source_positions
        self.max_samples = self.max_frames * self.frame_samples
        self._id: str | None = None

    @classmethod
    def from_pretrained(
        cls, path: str | Path | None = None, crop: bool = True, below_top: int = 0
    ) -> AudioEncoder:
        """The encoder half of a converted Whisper directory (default: Whisper tiny.en)."""
        from omni_reasoner.model.whisper import load_whisper

        model, features, _ = load_whisper(path)
        return cls(model.get_encoder(), features, crop=crop, below_top=below_top)

    @property
    def dim(self) -> int:
        return self.encoder.config.d_model

    @property
    def crop_mode(self) -> str:
        return "crop" if self.crop else "full"

    @property
    def encoder_id(self) -> str:
        """A fingerprint of the weights and of where the output is taken, for caches and
        checkpoints: equal weights and depth, equal id."""
        if self._id is None:
            digest = hashlib.sha256()
            for name, tensor in sorted(self.encoder.state_dict().items()):
                digest.update(name.encode())
                digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
            self._id = f"whisper-d{self.dim}-{digest.hexdigest()[:16]}"
            if self.below_top:
                self._id += f"-below{self.below_top}"
        return self._id

    def train(self, mode: bool = True):
        super().train(mode)
        self.encoder.eval()  # frozen: no dropout, whatever the model around it does
        return self

    def frames_for(self, n_samples: int) -> int:
        """Encoder frames a clip of `n_samples` gets (one per 20 ms, at least one)."""
        return max(1, math.ceil(n_samples / self.frame_samples))

    def _check(self, clip) -> np.ndarray:
        clip = np.asarray(clip, dtype=np.float32)
        if clip.ndim != 1:
            raise AudioEncodeError(f"audio must be mono 1-D samples, got shape {clip.shape}")
        if clip.size == 0:
            raise AudioEncodeError("audio is empty")
        if clip.size > self.max_samples:
            seconds = clip.size / SAMPLE_RATE
            raise AudioEncodeError(
                f"audio is {seconds:.1f} s long; the encoder takes at most {self.max_samples / SAMPLE_RATE:.0f} s"
            )
        if not np.isfinite(clip).all():
            raise AudioEncodeError("audio contains NaN or infinite samples")
        return clip

    def log_mel(self, clips: list[np.ndarray]) -> tuple[torch.Tensor, torch.Tensor]:
        """(mel (B, n_mels, M), encoder frames per clip (B,)), 16 kHz float32 mono clips in."""
        if not len(clips):
            raise AudioEncodeError("no audio clips to encode")
        clips = [self._check(c) for c in clips]
        frames = [self.frames_for(c.size) for c in clips]
        if not self.crop:
            mel = self.features(clips, sampling_rate=SAMPLE_RATE, return_tensors="np")
            return torch.from_numpy(mel.input_features), torch.tensor(frames)
        hop = self.features.hop_length
        width = 2 * max(frames)
        mel = torch.zeros(len(clips), self.features.feature_size, width)
        for i, (clip, n) in enumerate(zip(clips, frames, strict=True)):
            # zeros past the end, as in the 30 s window, so the last frames see silence
            padded = np.zeros(2 * n * hop + self.features.n_fft, dtype=np.float32)
            padded[: clip.size] = clip
            one = self.features(
                padded, sampling_rate=SAMPLE_RATE, padding="longest", return_tensors="np"
            )
            mel[i, :, : 2 * n] = torch.from_numpy(one.input_features[0, :, : 2 * n])
        return mel, torch.tensor(frames)

    def forward(self, mel: torch.Tensor, frames: torch.Tensor) -> EncodedAudio:
        """Encoder frames of log-mel features; `frames[i]` real frames for clip i."""
        enc = self.encoder
        param = enc.conv1.weight
        mel = mel.to(device=param.device, dtype=param.dtype)
        x = nn.functional.gelu(enc.conv1(mel))
        x = nn.functional.gelu(enc.conv2(x)).transpose(1, 2)  # (B, T, d)
        width = x.shape[1]
        if width > self.max_frames:
            raise AudioEncodeError(f"{width} encoder frames; Whisper has {self.max_frames}")
        x = x + enc.embed_positions.weight[:width]
        steps = torch.arange(width, device=x.device)
        valid = steps[None, :] < frames.to(x.device)[:, None]  # (B, T)
        # full window: Whisper's own behaviour, every frame attends to the whole 30 s
        bias = key_bias(valid if self.crop else torch.ones_like(valid), x.dtype)
        for layer in enc.layers[: len(enc.layers) - self.below_top]:
            x = layer(x, bias)
        if not self.below_top:
            x = enc.layer_norm(x)
        longest = int(frames.max())
        valid = valid[:, :longest]
        hidden = x[:, :longest] * valid[..., None]
        return EncodedAudio(hidden=hidden, mask=valid)

    @torch.no_grad()
    def encode(self, clips: list[np.ndarray]) -> EncodedAudio:
        """Encode a batch of 16 kHz mono float32 clips; frozen, so no gradients."""
        mel, frames = self.log_mel(clips)
        return self(mel, frames)
