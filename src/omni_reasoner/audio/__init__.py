"""Speech in: user audio checked and made ready for the model (16 kHz mono, trimmed)."""

from omni_reasoner.audio.input import (
    MAX_SECONDS,
    SAMPLE_RATE,
    Audio,
    AudioInputError,
    load_audio,
    pcm16_to_audio,
)

__all__ = ["MAX_SECONDS", "SAMPLE_RATE", "Audio", "AudioInputError", "load_audio", "pcm16_to_audio"]
