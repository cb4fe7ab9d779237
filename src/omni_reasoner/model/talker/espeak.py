"""espeak-ng: the robotic but tiny and very fast fallback voice.

Two ways to reach it, tried in order: the `espeakng-loader` wheel (libespeak-ng.so and
its data, driven through ctypes, pip only) or an `espeak-ng` binary on PATH (a
subprocess). espeak-ng is GPL-3.0: both ways call it as a separate component and
nothing of it is vendored, so this project's own code stays Apache-2.0.
"""

from __future__ import annotations

import ctypes
import io
import shutil
import subprocess
import threading
import wave

import numpy as np

from omni_reasoner.model.talker.base import SPEECH_EXTRA, Talker, TalkerError, as_float_audio

AUDIO_OUTPUT_SYNCHRONOUS = 2
ESPEAK_RATE, ESPEAK_PITCH = 1, 3
POS_CHARACTER = 1
CHARS_UTF8 = 1
_CALLBACK = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p
)


class _EspeakLibrary:
    """The shared library holds global state: one per process, one synthesis at a time."""

    _instance: _EspeakLibrary | None = None
    _create_lock = threading.Lock()

    def __init__(self, library_path: str, data_path: str):
        self.lib = ctypes.CDLL(library_path)
        self.lib.espeak_Initialize.restype = ctypes.c_int
        self.lib.espeak_Initialize.argtypes = [
            ctypes.c_int,
            ctypes.c_int,
            ctypes.c_char_p,
            ctypes.c_int,
        ]
        self.lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        self.lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        self.lib.espeak_Synth.argtypes = [
            ctypes.c_void_p,
            ctypes.c_size_t,
            ctypes.c_uint,
            ctypes.c_int,
            ctypes.c_uint,
            ctypes.c_uint,
            ctypes.c_void_p,
            ctypes.c_void_p,
        ]
        self.sample_rate = self.lib.espeak_Initialize(
            AUDIO_OUTPUT_SYNCHRONOUS, 0, data_path.encode(), 0
        )
        if self.sample_rate <= 0:
            raise TalkerError(f"espeak-ng failed to start with the data in {data_path}")
        self.chunks: list[np.ndarray] = []
        self._callback = _CALLBACK(self._collect)  # kept referenced: C holds the pointer
        self.lib.espeak_SetSynthCallback(self._callback)
        self.lock = threading.Lock()

    def _collect(self, samples, count, events) -> int:
        if samples and count > 0:
            self.chunks.append(np.ctypeslib.as_array(samples, shape=(count,)).copy())
        return 0

    @classmethod
    def shared(cls) -> _EspeakLibrary:
        with cls._create_lock:
            if cls._instance is None:
                import espeakng_loader

                cls._instance = cls(
                    espeakng_loader.get_library_path(), espeakng_loader.get_data_path()
                )
            return cls._instance

    def say(self, text: str, voice: str, rate: int, pitch: int) -> np.ndarray:
        with self.lock:
            self.chunks = []
            if self.lib.espeak_SetVoiceByName(voice.encode()) != 0:
                raise TalkerError(f"espeak-ng has no voice {voice!r}")
            self.lib.espeak_SetParameter(ESPEAK_RATE, rate, 0)
            self.lib.espeak_SetParameter(ESPEAK_PITCH, pitch, 0)
            data = text.encode("utf-8") + b"\0"
            buffer = ctypes.create_string_buffer(data, len(data))
            status = self.lib.espeak_Synth(
                buffer, len(data), 0, POS_CHARACTER, 0, CHARS_UTF8, None, None
            )
            if status != 0:
                raise TalkerError(f"espeak-ng could not synthesize (status {status})")
            chunks, self.chunks = self.chunks, []
        return np.concatenate(chunks) if chunks else np.zeros(0, np.int16)


def _loader_available() -> bool:
    try:
        import espeakng_loader  # noqa: F401
    except ImportError:
        return False
    return True


class EspeakTalker(Talker):
    """espeak-ng through the pip wheel if installed, else through the binary on PATH."""

    name = "espeak"

    def __init__(self, voice: str = "en-us", rate: int = 160, pitch: int = 50):
        self.voice, self.rate, self.pitch = voice, rate, pitch
        self.binary = None
        self.library = None
        if _loader_available():
            try:
                self.library = _EspeakLibrary.shared()
            except (OSError, RuntimeError) as exc:
                raise TalkerError(f"cannot load espeak-ng from espeakng-loader: {exc}") from None
            self.sample_rate = self.library.sample_rate
        elif shutil.which("espeak-ng"):
            self.binary = shutil.which("espeak-ng")
            self.sample_rate = 22050  # espeak-ng's fixed output rate; checked on each wav read
        else:
            raise TalkerError(
                f"the espeak talker needs espeakng-loader ({SPEECH_EXTRA}) or an espeak-ng binary"
            )

    def synthesize(self, text: str) -> np.ndarray:
        if self.library is not None:
            return as_float_audio(self.library.say(text, self.voice, self.rate, self.pitch))
        return self._synthesize_with_binary(text)

    def _synthesize_with_binary(self, text: str) -> np.ndarray:
        command = [self.binary, "--stdout", "-v", self.voice, "-s", str(self.rate)]
        command += ["-p", str(self.pitch)]
        done = subprocess.run(command, input=text.encode(), capture_output=True, check=False)
        if done.returncode != 0:
            message = done.stderr.decode(errors="replace").strip().splitlines()
            raise TalkerError(f"espeak-ng failed: {message[0] if message else done.returncode}")
        with wave.open(io.BytesIO(done.stdout)) as wav:
            self.sample_rate = wav.getframerate()
            frames = wav.readframes(wav.getnframes())
        return as_float_audio(np.frombuffer(frames, dtype=np.int16))
