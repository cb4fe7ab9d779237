"""The speaking engine: the Thinker decodes, the Talker voices phrases, both at once.

Three parties run concurrently. The decoder thread runs the ordinary engine; every
spoken piece it produces goes through the phrase policy, so only `<speak>` text can ever
reach the Talker (reasoning tokens never pass `on_spoken`). A synthesis thread turns each
finished phrase into audio while decoding continues. The caller consumes the audio as
an async iterator, so a wav writer, a speaker and a web socket can all share this code:

    run = speak_answer(reasoner, "Tom has twelve apples ...", load_talker("piper"))
    async for chunk in run:
        play(chunk.samples, chunk.sample_rate)
    run.result.ttfa_s, run.result.stalls

Per answer it measures time to first audio (TTFA) from the end of the question, the
total time, the audio duration, and stalls: playback is simulated in real time from the
moment the first chunk is ready, and every gap where the next chunk was not ready when
the previous one finished playing counts as a stall. TTFA is broken down into the wait
for the first token (prefill), decoding until the first voiced phrase was complete, and
the synthesis of that phrase, so a benchmark can say which of the three to shorten.

The question may be text or an `Audio` (`omni_reasoner.audio.load_audio`): then it is
heard inside the run (cascade: Whisper transcribes it; see infer/listening.py), so TTFA
still counts from the end of the question and `audio_encode_s` is the first part of it.
"""

from __future__ import annotations

import asyncio
import io
import os
import queue
import threading
import time
import wave
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from omni_reasoner.data.store import atomic_write_bytes
from omni_reasoner.infer.phrases import PhrasePolicy, is_speakable

_END = object()


@dataclass
class SpeechChunk:
    """The audio of one phrase, and when it was ready (seconds after the question)."""

    index: int
    phrase: str
    samples: np.ndarray  # float32 mono in [-1, 1]
    sample_rate: int
    ready_s: float

    @property
    def duration_s(self) -> float:
        return len(self.samples) / self.sample_rate


@dataclass
class SpeechResult:
    generation: object  # the engine's Generation
    talker: str
    sample_rate: int
    phrases: list[str]
    ttfa_s: float | None
    total_s: float
    audio_s: float
    stalls: int
    stall_s: float
    chunk_ready_s: list[float] = field(default_factory=list)
    # the TTFA breakdown, seconds after the question (None when nothing was voiced)
    first_token_s: float | None = None  # the first content token, spoken or reasoning
    first_phrase_s: float | None = None  # the first voiced phrase was complete
    first_synthesis_s: float | None = None  # seconds spent synthesizing that phrase
    # how the question came in: "text", or an audio pipeline ("cascade", "e2e")
    pipeline: str = "text"
    audio_encode_s: float | None = None  # hearing the question (part of every time above)
    transcript: str | None = None

    def breakdown(self) -> dict | None:
        """TTFA in parts (seconds): hearing the question + prefill + decoding to the first
        phrase + synthesizing it + the rest (queueing); None when nothing was voiced."""
        if self.ttfa_s is None or self.first_phrase_s is None:
            return None
        hear = self.audio_encode_s or 0.0
        first_token = self.first_token_s if self.first_token_s is not None else hear
        synth = self.first_synthesis_s or 0.0
        return {
            "audio_encode": hear,
            "prefill": first_token - hear,
            "decode": self.first_phrase_s - first_token,
            "synth": synth,
            "rest": self.ttfa_s - self.first_phrase_s - synth,
        }

    def metrics(self) -> dict:
        return {
            "ttfa_s": self.ttfa_s,
            "pipeline": self.pipeline,
            "audio_encode_s": self.audio_encode_s,
            "first_token_s": self.first_token_s,
            "first_phrase_s": self.first_phrase_s,
            "first_synthesis_s": self.first_synthesis_s,
            "speech_total_s": self.total_s,
            "audio_s": self.audio_s,
            "stalls": self.stalls,
            "stall_s": self.stall_s,
            "phrases": self.phrases,
            "talker": self.talker,
            "sample_rate": self.sample_rate,
        }


def playback_stalls(chunks: Iterable[tuple[float, float]]) -> tuple[int, float]:
    """(count, seconds) of gaps in real-time playback of (ready_s, duration_s) chunks.

    Playback starts when the first chunk is ready; each later chunk starts when the
    previous one has finished or, if it is late, when it is ready: that wait is a stall.
    """
    stalls, stall_s = 0, 0.0
    playing_until = None
    for ready_s, duration_s in chunks:
        if playing_until is None:
            start = ready_s
        elif ready_s > playing_until:
            stalls += 1
            stall_s += ready_s - playing_until
            start = ready_s
        else:
            start = playing_until
        playing_until = start + duration_s
    return stalls, stall_s


class _Cancelled(Exception):
    """Raised inside `on_spoken` to stop decoding once nobody listens any more."""


class SpeakingRun:
    """One spoken answer; iterate it (async) for audio chunks, then read `.result`."""

    def __init__(
        self,
        reasoner,
        question,
        talker,
        policy: PhrasePolicy | None = None,
        on_spoken: Callable[[str], None] | None = None,
        on_phrase: Callable[[str], None] | None = None,
        on_reasoning: Callable[[str], None] | None = None,
        pipeline: str | None = "auto",
        on_transcript: Callable[[str], None] | None = None,
        **ask_kwargs,
    ):
        """`question`: text, or an `Audio` heard by `pipeline` (auto, cascade, e2e)."""
        from omni_reasoner.audio.input import Audio
        from omni_reasoner.infer.listening import resolve_pipeline

        self.reasoner, self.question, self.talker = reasoner, question, talker
        self.policy = policy or PhrasePolicy()
        self.on_spoken, self.on_phrase = on_spoken, on_phrase
        self.on_reasoning = on_reasoning
        self.on_transcript = on_transcript
        self.ask_kwargs = ask_kwargs
        # an impossible pipeline fails here, before any thread starts
        self.pipeline = (
            resolve_pipeline(reasoner.meta, pipeline) if isinstance(question, Audio) else "text"
        )
        self.result: SpeechResult | None = None
        # a neural Talker voices the Thinker's states at spoken positions, not text
        self._states: list | None = None
        if getattr(talker, "voices_hidden_states", False):
            talker.check_thinker(reasoner.model.config.hidden_size)
            self._states = []
            self._states_arrived = threading.Condition()
        self._generation = None
        self._heard = None
        self._first_token_s: float | None = None
        self._cancel = threading.Event()
        self._started = False

    def __aiter__(self) -> AsyncIterator[SpeechChunk]:
        if self._started:
            raise RuntimeError("a SpeakingRun can be iterated only once")
        self._started = True
        return self._chunks()

    async def _chunks(self) -> AsyncIterator[SpeechChunk]:
        loop = asyncio.get_running_loop()
        ready: asyncio.Queue = asyncio.Queue()

        def deliver(item) -> None:
            try:
                loop.call_soon_threadsafe(ready.put_nowait, item)
            except RuntimeError:  # the consumer left and its event loop is closed: nobody listens
                self._cancel.set()

        phrases: queue.Queue = queue.Queue()
        t0 = time.perf_counter()
        threads = [
            threading.Thread(target=self._decode, args=(phrases, deliver, t0), daemon=True),
            threading.Thread(target=self._synthesize, args=(phrases, deliver, t0), daemon=True),
        ]
        for thread in threads:
            thread.start()
        try:
            while True:
                item = await ready.get()
                if item is _END:
                    break
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            self._cancel.set()  # a consumer that stops early stops the decoder too
            for thread in threads:
                await asyncio.to_thread(thread.join)

    def _decode(self, phrases: queue.Queue, deliver, t0: float) -> None:
        def arrived() -> None:
            if self._cancel.is_set():
                raise _Cancelled
            if self._first_token_s is None:
                self._first_token_s = time.perf_counter() - t0

        pieces = 0

        def spoken(piece: str) -> None:
            nonlocal pieces
            arrived()
            if self.on_spoken is not None:
                self.on_spoken(piece)
            # with when it was complete (for TTFA) and how many spoken pieces it spans: a
            # cut falls just before the new piece, so a phrase ends with the previous one
            for phrase in self.policy.feed(piece):
                phrases.put((phrase, time.perf_counter() - t0, pieces))
            pieces += 1

        def state(piece: str, hidden) -> None:
            with self._states_arrived:
                self._states.append(hidden)
                self._states_arrived.notify_all()

        def reasoning(piece: str) -> None:  # shown to the caller, never to the phrase policy
            arrived()
            if self.on_reasoning is not None:
                self.on_reasoning(piece)

        def paused() -> None:  # "So," need not wait for the next spoken piece
            for phrase in self.policy.pause():
                phrases.put((phrase, time.perf_counter() - t0, pieces))

        try:
            question = self.question
            if self.pipeline != "text":  # hear it first: part of every time from t0
                from omni_reasoner.infer.listening import hear

                self._heard = hear(self.reasoner, question, self.pipeline)
                if self.on_transcript is not None:
                    self.on_transcript(self._heard.transcript)
                question = self._heard.question
            offset = time.perf_counter() - t0
            if self._states is not None:
                self.ask_kwargs["on_spoken_state"] = state
            self._generation = self.reasoner.ask(
                question,
                on_spoken=spoken,
                on_reasoning=reasoning,
                on_pause=paused,
                **self.ask_kwargs,
            )
            if self._heard is not None:
                from omni_reasoner.infer.listening import with_audio

                self._generation = with_audio(
                    self._generation, self._heard, offset, time.perf_counter() - t0
                )
            for phrase in self.policy.flush():
                phrases.put((phrase, time.perf_counter() - t0, pieces))
        except _Cancelled:
            pass
        except Exception as exc:  # handed to the consumer, raised where it iterates
            deliver(exc)
            self._cancel.set()
        phrases.put(_END)

    def _phrase_states(self, start: int, end: int):
        """The states of spoken pieces [start, end), waiting for the last ones: a piece's
        state comes with the forward pass after it was decoded."""
        import torch

        with self._states_arrived:
            while len(self._states) < end and not self._cancel.is_set():
                self._states_arrived.wait(timeout=0.05)
            if len(self._states) < end:
                raise _Cancelled
            return torch.stack(self._states[start:end])

    def _synthesize(self, phrases: queue.Queue, deliver, t0: float) -> None:
        said: list[str] = []
        ready_s: list[float] = []
        durations: list[float] = []
        first_phrase_s = first_synthesis_s = None
        voiced = 0  # spoken pieces already voiced
        try:
            while (item := phrases.get()) is not _END:
                if self._cancel.is_set():
                    continue  # drain until the decoder says it has stopped
                phrase, complete_s, upto = item
                if self.on_phrase is not None:
                    self.on_phrase(phrase)
                said.append(phrase)
                started = time.perf_counter()
                if self._states is None:
                    samples = self.talker.synthesize(phrase)
                else:
                    samples = self.talker.synthesize_states(self._phrase_states(voiced, upto))
                    voiced = upto
                done = time.perf_counter()
                if len(samples) == 0:
                    continue
                chunk = SpeechChunk(
                    len(ready_s), phrase, samples, self.talker.sample_rate, done - t0
                )
                if not ready_s:
                    first_phrase_s, first_synthesis_s = complete_s, done - started
                ready_s.append(chunk.ready_s)
                durations.append(chunk.duration_s)
                deliver(chunk)
        except _Cancelled:  # the decoder stopped before the states of this phrase came
            while phrases.get() is not _END:
                pass
            deliver(_END)
            return
        except Exception as exc:
            self._cancel.set()
            deliver(exc)
            while phrases.get() is not _END:  # let the decoder finish putting
                pass
            return
        if self._cancel.is_set():
            deliver(_END)
            return
        stalls, stall_s = playback_stalls(zip(ready_s, durations, strict=True))
        self.result = SpeechResult(
            generation=self._generation,
            talker=self.talker.name,
            sample_rate=self.talker.sample_rate,
            phrases=said,
            ttfa_s=ready_s[0] if ready_s else None,
            total_s=time.perf_counter() - t0,
            audio_s=float(sum(durations)),
            stalls=stalls,
            stall_s=stall_s,
            chunk_ready_s=ready_s,
            first_token_s=self._first_token_s,
            first_phrase_s=first_phrase_s,
            first_synthesis_s=first_synthesis_s,
            pipeline=self.pipeline,
            audio_encode_s=self._heard.encode_s if self._heard else None,
            transcript=self._heard.transcript if self._heard else None,
        )
        deliver(_END)


def speak_answer(reasoner, question, talker, **options) -> SpeakingRun:
    """`async for chunk in speak_answer(...)`; see `SpeakingRun` for the options."""
    return SpeakingRun(reasoner, question, talker, **options)


def speak(reasoner, question, talker, **options) -> tuple[SpeechResult, list[SpeechChunk]]:
    """Blocking convenience: run a whole spoken answer and keep every chunk."""

    async def collect():
        run = speak_answer(reasoner, question, talker, **options)
        chunks = [chunk async for chunk in run]
        return run.result, chunks

    return asyncio.run(collect())


def has_speech(result: SpeechResult) -> bool:
    return result.audio_s > 0 and any(is_speakable(p) for p in result.phrases)


def check_writable(path: str | Path) -> Path:
    """Fail before any work if the wav could not be written there."""
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{path} is a directory; give a .wav file path")
    parent = path.parent
    if not parent.is_dir():
        raise ValueError(f"cannot write {path}: the directory {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise ValueError(f"cannot write {path}: the directory {parent} is not writable")
    return path


def write_wav(path: str | Path, chunks: Iterable[SpeechChunk], sample_rate: int) -> Path:
    """16-bit mono wav, written atomically (`atomic_write_bytes`: a temporary file beside
    `path`, renamed over it), so a half-written file never replaces a good one."""
    path = check_writable(path)
    samples = [c.samples for c in chunks]
    audio = np.concatenate(samples) if samples else np.zeros(0, np.float32)
    pcm = (np.clip(audio, -1.0, 1.0) * 32767.0).round().astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(sample_rate)
        wav.writeframes(pcm.tobytes())
    atomic_write_bytes(path, buffer.getvalue())
    return path
