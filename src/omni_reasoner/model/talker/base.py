"""What every Talker backend offers, and the factory that picks one by name.

A Talker only ever receives spoken text (phrases of the `<speak>` stream); it never
sees reasoning tokens. Backends return float32 mono samples in [-1, 1] at their own
`sample_rate`, so callers can write, play or stream them without knowing the backend.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

TALKERS = ("piper", "espeak")  # text backends; a neural talker is `neural:PATH`
DEFAULT_TALKER = "piper"
SPEECH_EXTRA = "pip install 'omni-reasoner[speech]'"


class TalkerError(ValueError):
    """A Talker cannot be loaded or cannot speak; the message is one line for the CLI."""


class Talker(ABC):
    name: str
    sample_rate: int

    @abstractmethod
    def synthesize(self, text: str) -> np.ndarray:
        """Audio for `text`: float32 mono samples in [-1, 1] at `self.sample_rate`."""


def as_float_audio(samples: np.ndarray) -> np.ndarray:
    """int16 or float samples -> contiguous float32 mono in [-1, 1]."""
    samples = np.asarray(samples)
    if samples.dtype == np.int16:
        samples = samples.astype(np.float32) / 32768.0
    return np.ascontiguousarray(np.clip(samples.astype(np.float32).reshape(-1), -1.0, 1.0))


def load_talker(name: str | None = None, phrase_cache: bool = True, **options) -> Talker:
    """A Talker by name (`piper`, `espeak`, or `neural:PATH` for a neural talker checkpoint
    on the Thinker's hidden states); unknown names fail with the valid choices. Text voices
    come behind a `PhraseCache` (short phrases said before are said again at once) unless
    `phrase_cache=False`; a neural talker voices states, not text, and is never cached."""
    name = (name or DEFAULT_TALKER).strip()
    kind, _, path = name.partition(":")
    if kind.lower() == "neural":
        if not path:
            raise TalkerError("the neural talker needs a checkpoint: --talker neural:PATH")
        from omni_reasoner.model.talker.neural import NeuralTalker

        return NeuralTalker(path, **options)
    name = name.lower()
    if name == "piper":
        from omni_reasoner.model.talker.piper import PiperTalker

        talker = PiperTalker(**options)
    elif name == "espeak":
        from omni_reasoner.model.talker.espeak import EspeakTalker

        talker = EspeakTalker(**options)
    else:
        choices = ", ".join(TALKERS)
        raise TalkerError(f"unknown talker {name!r}; choose one of: {choices}, neural:PATH")
    if not phrase_cache:
        return talker
    from omni_reasoner.model.talker.cache import PhraseCache

    return PhraseCache(talker)
