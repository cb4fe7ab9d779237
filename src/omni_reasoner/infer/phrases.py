"""The phrase policy: where to cut the spoken stream into phrases for the Talker.

Speech starts only when the first phrase is synthesized, so the first phrase is cut
as soon as it is speakable (first punctuation, or a few words); later phrases are cut
at sentence ends, at clause punctuation once they have some body, or at a word budget,
which gives the voice whole clauses to phrase naturally while the Thinker decodes on.

A cut is only ever made at whitespace that has actually arrived: "7." may still become
"7.5", so the policy waits for the next piece before it decides. Decisions depend on
the text alone, never on how it was split into pieces. The one exception is `pause()`:
the speaking engine calls it when the spoken stream stops for reasoning, and a word that
ends in a punctuation mark right after a letter ("So,") is then taken as complete. Under
`interleave:2:8` the first two spoken tokens are often such a word, and without the pause
it would wait a whole reasoning cycle for the next spoken piece.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

SENTENCE_END = ".!?"
CLAUSE_END = ",;:"


def is_speakable(text: str) -> bool:
    """Has something a voice can say (a letter or a digit), not only punctuation."""
    return any(ch.isalnum() for ch in text)


def count_words(text: str) -> int:
    return sum(1 for word in text.split() if is_speakable(word))


@dataclass
class PhrasePolicy:
    """Feed spoken pieces in order; get back the phrases that became complete."""

    first_words: int = 3  # the first phrase goes out after this many words at the latest
    max_words: int = 12  # later phrases are cut at this many words at the latest
    clause_min_words: int = 4  # a later phrase is cut at , ; : only once this long

    def __post_init__(self):
        if min(self.first_words, self.max_words, self.clause_min_words) < 1:
            raise ValueError("phrase word budgets must be at least 1")
        self.pending = ""
        self.emitted = 0

    def feed(self, piece: str) -> list[str]:
        """Add one piece of spoken text; return the phrases it completed (often none)."""
        start = len(self.pending)
        self.pending += piece
        phrases = []
        # A boundary is whitespace right after a non-space: earlier text is now final.
        i = max(start, 1)
        while i < len(self.pending):
            if self.pending[i].isspace() and not self.pending[i - 1].isspace():
                candidate = self.pending[:i]
                if self._should_cut(candidate):
                    phrases.append(candidate.strip())
                    self.emitted += 1
                    self.pending = self.pending[i:]
                    i = 1
                    continue
            i += 1
        return phrases

    def pause(self) -> list[str]:
        """The spoken stream paused (the Thinker reasons): cut after a finished word if the
        policy would. Only a mark after a letter finishes a word: "7." may go on as "7.5"."""
        text = self.pending
        if len(text) < 2 or text[-1] not in SENTENCE_END + CLAUSE_END or not text[-2].isalpha():
            return []
        if not self._should_cut(text):
            return []
        self.pending = ""
        self.emitted += 1
        return [text.strip()]

    def flush(self) -> list[str]:
        """The stream ended: whatever is left is the last phrase."""
        rest, self.pending = self.pending.strip(), ""
        if not rest:
            return []
        self.emitted += 1
        return [rest]

    def _should_cut(self, candidate: str) -> bool:
        if not is_speakable(candidate):
            return False
        words = count_words(candidate)
        last = candidate.rstrip()[-1]
        if self.emitted == 0:
            return last in SENTENCE_END + CLAUSE_END or words >= self.first_words
        if last in SENTENCE_END:
            return True
        if last in CLAUSE_END and words >= self.clause_min_words:
            return True
        return words >= self.max_words


def split_phrases(pieces: Iterable[str], policy: PhrasePolicy | None = None) -> list[str]:
    """All phrases of a finished stream (the same as feeding it piece by piece)."""
    policy = policy or PhrasePolicy()
    phrases = [phrase for piece in pieces for phrase in policy.feed(piece)]
    return phrases + policy.flush()


def opening_phrases(policy: PhrasePolicy | None = None) -> list[str]:
    """The phrases the training responses' number-free talk (lead-in fillers and openers) is
    cut into: what a model trained on them opens with, so a Talker's phrase cache can learn
    them before the first question."""
    from omni_reasoner.data.responses import FILLERS, OPENERS

    phrases: dict[str, None] = {}
    for text in (*FILLERS, *OPENERS):
        fresh = replace(policy) if policy else PhrasePolicy()  # same budgets, no state
        for phrase in split_phrases([text], fresh):
            phrases[phrase] = None
    return list(phrases)
