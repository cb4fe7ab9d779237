"""A phrase cache in front of a text Talker: short phrases said before are said again at once.

Every answer opens with number-free talk ("So,", "Hmm, okay.", "Let me think") drawn from a
small pool, and the first phrase's synthesis is most of the time to first audio with Piper
(about 80 ms for one word here). Content phrases carry the answer's numbers and rarely
repeat, so only phrases of at most `max_words` words are kept, and the least recently used
go beyond `max_phrases`. A repeat gets the samples of the first take (Piper samples its
voice, so a fresh take would differ slightly, never in what it says).
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np

from omni_reasoner.model.talker.base import Talker


class PhraseCache(Talker):
    def __init__(self, inner: Talker, max_phrases: int = 512, max_words: int = 4):
        if max_phrases < 1 or max_words < 1:
            raise ValueError("phrase cache sizes must be at least 1")
        self.inner = inner
        self.max_phrases, self.max_words = max_phrases, max_words
        self.hits = self.misses = 0
        self._audio: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()  # one Talker serves every session of the server

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def sample_rate(self) -> int:  # a backend may learn its rate from its first phrase
        return self.inner.sample_rate

    @property
    def size(self) -> int:
        """Phrases kept now."""
        return len(self._audio)

    def synthesize(self, text: str) -> np.ndarray:
        key = " ".join(text.split())
        with self._lock:
            samples = self._audio.get(key)
            if samples is not None:
                self._audio.move_to_end(key)
                self.hits += 1
                return samples
            self.misses += 1
        samples = self.inner.synthesize(text)
        if len(key.split()) <= self.max_words and len(samples):
            kept = samples.copy()
            kept.setflags(write=False)  # shared by every later answer: nobody may change it
            with self._lock:
                self._audio[key] = kept
                while len(self._audio) > self.max_phrases:
                    self._audio.popitem(last=False)
        return samples

    def warm(self, phrases) -> int:
        """Say each phrase once now (e.g. at server start); returns how many are kept."""
        for phrase in phrases:
            if 0 < len(phrase.split()) <= self.max_words:  # longer ones would not be kept
                self.synthesize(phrase)
        return self.size
