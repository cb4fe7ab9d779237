"""Acoustic augmentation for question clips: noise, reverberation, pitch, resampling.

Everything is generated here from a seeded `numpy.random.Generator` (no noise or
impulse-response files to ship), so a clip's stored settings and seed re-create it.
"""

from __future__ import annotations

import numpy as np

from omni_reasoner.audio.input import resample

NOISE_COLORS = ("white", "pink", "brown")


def shift_pitch(x: np.ndarray, factor: float, rate: int) -> np.ndarray:
    """Raise pitch (and formants) by `factor` by playing the samples faster.

    This also shortens the clip by `factor`; the caller asks the engine for speech
    `factor` times slower first (Piper's length_scale), so the tempo is unchanged.
    """
    if abs(factor - 1.0) < 1e-6:
        return x
    # played at rate*factor, the samples sound higher; resample back to `rate`
    return resample(x, round(rate * factor), rate)


def colored_noise(n: int, color: str, rng: np.random.Generator) -> np.ndarray:
    """Unit-power noise with a 1/f^k power spectrum: white k=0, pink k=1, brown k=2."""
    if color not in NOISE_COLORS:
        raise ValueError(
            f"unknown noise colour {color!r}; choose one of: {', '.join(NOISE_COLORS)}"
        )
    white = rng.standard_normal(n)
    if color != "white" and n > 1:
        exponent = {"pink": 0.5, "brown": 1.0}[color]  # amplitude ~ f^-k/2
        spectrum = np.fft.rfft(white)
        freqs = np.fft.rfftfreq(n)
        freqs[0] = freqs[1]  # keep the DC bin finite
        white = np.fft.irfft(spectrum / freqs**exponent, n)
    white = white - white.mean()
    power = np.mean(white**2)
    return (white / np.sqrt(power) if power > 0 else white).astype(np.float32)


def add_noise(
    x: np.ndarray, snr_db: float, color: str, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """(x + noise, noise) with 10*log10(power(x) / power(noise)) == snr_db exactly."""
    noise = colored_noise(len(x), color, rng)
    signal_power = float(np.mean(np.asarray(x, np.float64) ** 2))
    noise = (noise * np.sqrt(signal_power / 10 ** (snr_db / 10))).astype(np.float32)
    return (x + noise).astype(np.float32), noise


def snr_db(clean: np.ndarray, noise: np.ndarray) -> float:
    """The signal-to-noise ratio of `clean` against `noise`, in dB."""
    clean, noise = np.asarray(clean, np.float64), np.asarray(noise, np.float64)
    return float(10 * np.log10(np.mean(clean**2) / np.mean(noise**2)))


def room_impulse_response(rt60: float, rate: int, rng: np.random.Generator) -> np.ndarray:
    """A synthetic room: the direct sound, then exponentially decaying noise (-60 dB at rt60).

    The tail starts after a short gap, as first reflections do, and is scaled so the
    reverberant energy stays below the direct sound: "light" reverberation.
    """
    n = max(2, int(rt60 * rate))
    t = np.arange(n) / rate
    tail = rng.standard_normal(n) * np.exp(-6.9078 * t / rt60)  # ln(1000) = 6.9078: -60 dB
    tail[: int(0.003 * rate)] = 0.0  # 3 ms to the first reflection
    tail *= 0.5 / max(np.sqrt(np.sum(tail**2)), 1e-9)  # reverberant/direct energy 0.25
    tail[0] = 1.0
    return tail.astype(np.float32)


def add_reverb(x: np.ndarray, rt60: float, rate: int, rng: np.random.Generator) -> np.ndarray:
    """x convolved with a synthetic room, cut to x's length plus the decay."""
    from scipy.signal import fftconvolve

    ir = room_impulse_response(rt60, rate, rng)
    return fftconvolve(x, ir)[: len(x) + len(ir) // 2].astype(np.float32)


def fit_range(x: np.ndarray, peak: float = 0.95) -> np.ndarray:
    """Scale down (never up) so every sample lies within +-peak: noise and reverb can clip."""
    top = float(np.max(np.abs(x))) if len(x) else 0.0
    return (x * (peak / top) if top > peak else x).astype(np.float32)
