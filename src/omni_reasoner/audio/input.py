"""The one place user audio enters: any file soundfile reads, bytes, PCM16 or an array.

Everything leaves as 16 kHz float32 mono in [-1, 1] with the leading and trailing silence
trimmed, or fails with one line naming the problem (`AudioInputError`), so the CLI, the
evaluation and the web server all accept and refuse exactly the same audio.

The rules (docs/speech-in.md explains the numbers):
- a sample rate from 8 kHz to 192 kHz, resampled to 16 kHz with `scipy.signal.resample_poly`
  (a polyphase FIR with a Kaiser-windowed anti-aliasing low-pass);
- several channels are averaged into one;
- silence: 20 ms frames with the DC removed; a frame is speech when its RMS is above
  -50 dBFS and within 40 dB of the loudest frame; 0.2 s of margin is kept each side; a clip
  with no such frame is refused as silent;
- clipping: more than 1 % of the speech samples at full scale (|x| >= 0.999) is refused;
  less passes, since a few clipped peaks do not hurt recognition;
- the speech (after trimming) may last at most `max_seconds` (30 s, Whisper's window);
  input longer than four times that is refused before it is decoded.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SAMPLE_RATE = 16000
MAX_SECONDS = 30.0
MIN_SOURCE_RATE = 8000
MAX_SOURCE_RATE = 192000
FULL_SCALE = 0.999  # a sample at or above this magnitude sits at full scale
MAX_CLIPPED = 0.01  # fraction of speech samples at full scale above which a clip is refused
SILENCE_DBFS = -50.0  # frames quieter than this are never speech
DYNAMIC_RANGE_DB = 40.0  # frames this far below the loudest one are silence
FRAME_S = 0.02
MARGIN_S = 0.2
RAW_LIMIT_FACTOR = 4  # undecoded input may be this many times max_seconds


class AudioInputError(ValueError):
    """Audio the model cannot take; the message is one line naming the problem."""


@dataclass
class Audio:
    samples: np.ndarray  # float32, mono, 16 kHz, in [-1, 1], leading/trailing silence trimmed
    sample_rate: int  # always 16000
    source_rate: int
    source_channels: int
    duration_s: float  # after trimming
    trimmed_s: float  # how much silence was removed


def load_audio(
    source: str | Path | bytes | np.ndarray,
    sample_rate: int | None = None,
    *,
    max_seconds: float = MAX_SECONDS,
    trim: bool = True,
) -> Audio:
    """Read, check, down-mix, trim and resample `source` to 16 kHz mono.

    `source` is a file path, the bytes of an audio file, or an array of samples (then
    `sample_rate` is required; int16/int32 arrays are scaled, floats must be in [-1, 1]).
    """
    if isinstance(source, np.ndarray):
        if sample_rate is None:
            raise AudioInputError("an array of samples needs its sample_rate")
        name = "the audio"
        _check_rate(name, int(sample_rate))
        frames = _from_array(source)
        rate = int(sample_rate)
    elif isinstance(source, (bytes, bytearray, memoryview)):
        name = "the audio"
        if len(source) == 0:
            raise AudioInputError("the audio is empty (0 bytes)")
        frames, rate = _read(name, io.BytesIO(bytes(source)), max_seconds)
    elif isinstance(source, (str, Path)):
        path = Path(source)
        name = path.name or str(path)
        if not path.exists():
            raise AudioInputError(f"{path}: no such file")
        if not path.is_file():
            raise AudioInputError(f"{path} is not a file")
        if path.stat().st_size == 0:
            raise AudioInputError(f"{name} is empty (0 bytes)")
        frames, rate = _read(name, path, max_seconds)
    else:
        raise AudioInputError(
            f"cannot read audio from a {type(source).__name__}; give a path, bytes or an array"
        )
    return _prepare(name, frames, rate, max_seconds, trim)


def pcm16_to_audio(data: bytes, sample_rate: int, **kw) -> Audio:
    """Raw little-endian PCM16 mono frames (a microphone stream) -> `Audio`."""
    if len(data) % 2:
        raise AudioInputError(f"PCM16 data has an odd number of bytes ({len(data)})")
    return load_audio(np.frombuffer(bytes(data), dtype="<i2"), sample_rate, **kw)


def _check_rate(name: str, rate: int) -> None:
    if not MIN_SOURCE_RATE <= rate <= MAX_SOURCE_RATE:
        raise AudioInputError(
            f"{name}: unsupported sample rate {rate} Hz; "
            f"need {MIN_SOURCE_RATE} to {MAX_SOURCE_RATE} Hz"
        )


def _read(name: str, file, max_seconds: float) -> tuple[np.ndarray, int]:
    """Decode with soundfile; its errors become one line of our own."""
    import soundfile

    try:
        with soundfile.SoundFile(file) as sound:
            rate = int(sound.samplerate)
            _check_rate(name, rate)
            limit = RAW_LIMIT_FACTOR * max_seconds
            if sound.frames > limit * rate:
                raise AudioInputError(
                    f"{name} is {sound.frames / rate:.1f} s long; the limit is {max_seconds:g} s"
                )
            frames = sound.read(dtype="float32", always_2d=True)
    except AudioInputError:
        raise
    except (soundfile.LibsndfileError, RuntimeError, TypeError, ValueError, EOFError):
        raise AudioInputError(
            f"{name} is not audio soundfile can read (corrupt, or not wav/flac/ogg)"
        ) from None
    return frames, rate


def _from_array(samples: np.ndarray) -> np.ndarray:
    """An array -> float32 (frames, channels); mono, (frames, ch) or (ch, frames)."""
    if samples.ndim == 1:
        samples = samples[:, None]
    elif samples.ndim == 2:
        if samples.shape[1] > 8 and samples.shape[0] <= 8:  # (channels, frames)
            samples = samples.T
    else:
        raise AudioInputError(f"audio arrays must be 1-D or 2-D, not {samples.ndim}-D")
    if samples.dtype.kind in "iu":  # full scale of the integer type -> 1.0
        info = np.iinfo(samples.dtype)
        middle = (int(info.max) + int(info.min) + 1) / 2  # 0 signed, 128 for uint8
        return ((samples.astype(np.float64) - middle) / (int(info.max) + 1 - middle)).astype(
            np.float32
        )
    if samples.dtype.kind != "f":
        raise AudioInputError(f"audio samples must be numbers, not {samples.dtype}")
    return samples.astype(np.float32, copy=False)


def _prepare(name: str, frames: np.ndarray, rate: int, max_seconds: float, trim: bool) -> Audio:
    if frames.size == 0:
        raise AudioInputError(f"{name} has no samples")
    if not np.isfinite(frames).all():
        raise AudioInputError(f"{name} has NaN or infinite samples")
    peak = float(np.abs(frames).max())
    if peak > 1.0 + 1e-3:
        raise AudioInputError(f"{name}: samples must lie in [-1, 1] (the peak is {peak:.3g})")
    channels = frames.shape[1]
    mono = frames.mean(axis=1) if channels > 1 else frames[:, 0]
    start, end = _speech_bounds(name, mono, rate, trim)
    clipped = float(np.mean(np.abs(frames[start:end]) >= FULL_SCALE))
    if clipped > MAX_CLIPPED:
        raise AudioInputError(
            f"{name} is clipped: {clipped:.1%} of its samples sit at full scale "
            f"(the limit is {MAX_CLIPPED:.0%}); record it less loud"
        )
    duration = (end - start) / rate
    if duration > max_seconds:
        raise AudioInputError(
            f"{name} has {duration:.1f} s of speech; the limit is {max_seconds:g} s"
        )
    samples = _resample(mono[start:end], rate)
    return Audio(
        samples=samples,
        sample_rate=SAMPLE_RATE,
        source_rate=rate,
        source_channels=channels,
        duration_s=len(samples) / SAMPLE_RATE,
        trimmed_s=(len(mono) - (end - start)) / rate,
    )


def _speech_bounds(name: str, mono: np.ndarray, rate: int, trim: bool) -> tuple[int, int]:
    """[start, end) of the speech plus margins; refuses a clip with no speech at all."""
    frame = max(1, int(rate * FRAME_S))
    n = math.ceil(len(mono) / frame)
    padded = np.zeros(n * frame, np.float64)
    padded[: len(mono)] = mono
    blocks = padded.reshape(n, frame)
    blocks = blocks - blocks.mean(axis=1, keepdims=True)  # a DC offset is not speech
    rms = np.sqrt(np.mean(blocks**2, axis=1))
    db = 20 * np.log10(np.maximum(rms, 1e-10))
    loudest = float(db.max())
    if loudest < SILENCE_DBFS:
        raise AudioInputError(
            f"{name} is silent (its loudest 20 ms is at {loudest:.0f} dBFS; "
            f"speech must reach {SILENCE_DBFS:.0f} dBFS)"
        )
    if not trim:
        return 0, len(mono)
    voiced = np.flatnonzero(db >= max(SILENCE_DBFS, loudest - DYNAMIC_RANGE_DB))
    margin = int(rate * MARGIN_S)
    start = max(0, int(voiced[0]) * frame - margin)
    end = min(len(mono), (int(voiced[-1]) + 1) * frame + margin)
    return start, end


def resample(x: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    """Polyphase resampling (band-limited, so 22.05 kHz speech folds no alias into 16 kHz)."""
    if rate_in == rate_out:
        return np.asarray(x, np.float32)
    from scipy.signal import resample_poly

    common = math.gcd(rate_in, rate_out)
    return resample_poly(x, rate_out // common, rate_in // common).astype(np.float32)


def _resample(samples: np.ndarray, rate: int) -> np.ndarray:
    samples = resample(samples, rate, SAMPLE_RATE)
    return np.ascontiguousarray(np.clip(samples, -1.0, 1.0), dtype=np.float32)
