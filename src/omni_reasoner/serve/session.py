"""The WebSocket session protocol (docs/protocol.md, "WebSocket sessions").

One connection is one conversation. The client sends JSON text frames (`ask`,
`audio_start`, `audio_end`, `cancel`) and, between `audio_start` and `audio_end`, binary
frames of audio. The server answers with JSON events as they happen (`spoken`,
`reasoning`, `audio` followed by one binary frame of PCM16 samples, `done`, `error`).
Bad input gets an `error` event and the session goes on; only a broken limit closes it,
with a close code that says which. One sender task writes every frame, so an `audio`
event and its samples are never split by another event.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from itertools import count

import numpy as np

from omni_reasoner.checks import is_count
from omni_reasoner.serve.config import ServeConfig
from omni_reasoner.serve.worker import Worker

log = logging.getLogger("omni_reasoner.serve")

# close codes (1000-1015 are the standard ones, 4000-4999 are the application's)
CLOSE_NORMAL = 1000
CLOSE_POLICY = 1008  # the page's origin is not allowed
CLOSE_TOO_BIG = 1009  # a frame over max_message_bytes
CLOSE_INTERNAL = 1011
CLOSE_BUSY = 1013  # max_sessions reached: try again later
CLOSE_IDLE = 4000  # nothing sent for idle_s while no answer was running

PCM_FORMATS = ("pcm16", "file")
_ids = count(1)


class Refused(ValueError):
    """Bad client input: becomes one `error` event with a code, and the session goes on."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def pcm16_bytes(samples: np.ndarray) -> bytes:
    return (np.clip(samples, -1.0, 1.0) * 32767.0).round().astype("<i2").tobytes()


class Session:
    def __init__(self, websocket, worker: Worker, config: ServeConfig, model: str):
        self.ws, self.worker, self.config, self.model = websocket, worker, config, model
        self.id = next(_ids)
        self.outbox: asyncio.Queue = asyncio.Queue()
        self.answer: asyncio.Task | None = None
        self.audio: dict | None = None  # the audio question being received
        self.last_seen = time.monotonic()
        self.closing: tuple[int, str] | None = None

    async def run(self) -> None:
        sender = asyncio.create_task(self._send_all())
        watchdog = asyncio.create_task(self._watch_idle())
        talker = self.worker.talker
        self.emit(
            "hello",
            session=self.id,
            model=self.model,
            talker=talker.name if talker else None,
            sample_rate=talker.sample_rate if talker else None,
            concurrency=self.worker.concurrency,
            limits=self.config.limits(),
        )
        try:
            await self._receive_all()
        finally:
            watchdog.cancel()
            await self._stop_answer()
            await self.outbox.put(None)
            await sender

    # ---- receiving -------------------------------------------------------------------------

    async def _receive_all(self) -> None:
        while self.closing is None:
            message = await self.ws.receive()
            if message["type"] == "websocket.disconnect":
                return
            self.last_seen = time.monotonic()
            data = message.get("bytes")
            text = message.get("text")
            size = len(data) if data is not None else len((text or "").encode())
            if size > self.config.max_message_bytes:
                self.close(
                    CLOSE_TOO_BIG,
                    f"a message of {size} bytes; the limit is {self.config.max_message_bytes}",
                )
                return
            try:
                if data is not None:
                    self._on_audio_frame(data)
                else:
                    await self._on_text(text or "")
            except Refused as refusal:
                self.emit("error", code=refusal.code, message=str(refusal))

    async def _on_text(self, text: str) -> None:
        try:
            message = json.loads(text)
        except json.JSONDecodeError:
            raise Refused("bad_message", "a text frame must be one JSON object") from None
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            raise Refused("bad_message", 'a message must be a JSON object with a "type"')
        kind = message["type"]
        if kind == "cancel":
            cancelled = self.answer is not None and not self.answer.done()
            self.audio = None
            await self._stop_answer()
            self.emit("cancelled", answer_was_running=cancelled)
            return
        if self.audio is not None and kind != "audio_end":
            raise Refused(
                "expected_audio",
                f'"{kind}" while an audio question is open; send audio frames, then audio_end',
            )
        if kind == "ask":
            question = message.get("text")
            if not isinstance(question, str):
                raise Refused("bad_message", 'ask needs "text": the question as a string')
            self._start(question, time.perf_counter())
        elif kind == "audio_start":
            self._open_audio(message)
        elif kind == "audio_end":
            if self.audio is None:
                raise Refused("bad_message", "audio_end without audio_start")
            received, self.audio = self.audio, None
            if received.get("refused"):
                return  # already answered with an error when the limit was crossed
            ended = time.perf_counter()  # the end of the question: TTFA counts from here
            self._check_idle()
            audio = await asyncio.to_thread(self._decode_audio, received)  # off the event loop
            self._start(audio, ended)
        else:
            raise Refused(
                "bad_message",
                f"unknown message type {kind!r}; expected ask, audio_start, audio_end or cancel",
            )

    def _open_audio(self, message: dict) -> None:
        self._check_idle()
        fmt = message.get("format", "pcm16")
        if fmt not in PCM_FORMATS:
            raise Refused("bad_message", f"unknown audio format {fmt!r}; use pcm16 or file")
        rate = message.get("sample_rate")
        if fmt == "pcm16" and not is_count(rate):
            raise Refused("bad_audio", "pcm16 audio needs an integer sample_rate (e.g. 16000)")
        if fmt == "pcm16":
            from omni_reasoner.audio.input import MAX_SOURCE_RATE, MIN_SOURCE_RATE

            if not MIN_SOURCE_RATE <= rate <= MAX_SOURCE_RATE:
                raise Refused(
                    "bad_audio",
                    f"unsupported sample rate {rate} Hz; need {MIN_SOURCE_RATE} to "
                    f"{MAX_SOURCE_RATE} Hz",
                )
        self.audio = {"format": fmt, "sample_rate": rate, "data": bytearray()}

    def _on_audio_frame(self, data: bytes) -> None:
        audio = self.audio
        if audio is None:
            raise Refused("unexpected_audio", "an audio frame without audio_start")
        if audio.get("refused"):
            return
        audio["data"] += data
        if audio["format"] == "pcm16":
            seconds = len(audio["data"]) / 2 / audio["sample_rate"]
            over = seconds > self.config.max_audio_s
            what = f"{seconds:.1f} s"
        else:
            over = len(audio["data"]) > self.config.max_message_bytes
            what = f"{len(audio['data'])} bytes (the limit is {self.config.max_message_bytes})"
        if over:
            audio["refused"], audio["data"] = True, bytearray()
            raise Refused(
                "audio_too_long",
                f"the question audio passed {what}; the limit is "
                f"{self.config.max_audio_s:g} s; the rest up to audio_end is ignored",
            )

    def _decode_audio(self, received: dict):
        from omni_reasoner.audio.input import AudioInputError, load_audio, pcm16_to_audio

        data, limit = bytes(received["data"]), self.config.max_audio_s
        if not data:
            raise Refused("bad_audio", "the audio question is empty (no audio frames)")
        try:
            if received["format"] == "pcm16":
                return pcm16_to_audio(data, received["sample_rate"], max_seconds=limit)
            return load_audio(data, max_seconds=limit)
        except AudioInputError as exc:
            raise Refused("bad_audio", str(exc).splitlines()[0]) from None

    # ---- answering -------------------------------------------------------------------------

    def _check_idle(self) -> None:
        if self.answer is not None and not self.answer.done():
            raise Refused("busy", "an answer is still running; wait for done or send cancel")

    def _start(self, question, asked_at: float) -> None:
        self._check_idle()
        if isinstance(question, str):
            from omni_reasoner.infer.engine import check_question

            try:
                check_question(question)
            except ValueError as exc:
                raise Refused("bad_question", str(exc)) from None
        self.answer = asyncio.create_task(self._answer(question, asked_at))

    async def _answer(self, question, asked_at: float) -> None:
        answer_id = f"{self.id}.{next(_ids)}"
        self.emit("started", id=answer_id)
        loop = asyncio.get_running_loop()

        def forward(kind: str):
            def put(piece: str) -> None:  # the decoder thread -> this session's outbox
                loop.call_soon_threadsafe(self.outbox.put_nowait, {"type": kind, "text": piece})

            return put

        options = {"on_spoken": forward("spoken"), "on_reasoning": forward("reasoning")}
        if not isinstance(question, str):  # an Audio: say what was heard as soon as it is
            options["on_transcript"] = forward("transcript")
        first_audio = None
        try:
            run = self.worker.speak(question, **options)
            async for chunk in run:
                if first_audio is None:
                    first_audio = time.perf_counter() - asked_at
                samples = chunk.samples
                self.emit(
                    "audio",
                    index=chunk.index,
                    phrase=chunk.phrase,
                    sample_rate=chunk.sample_rate,
                    samples=len(samples),
                    ready_s=round(chunk.ready_s, 4),
                )
                self.outbox.put_nowait(pcm16_bytes(samples))
        except asyncio.CancelledError:
            raise
        except ValueError as exc:  # a question the engine or the Talker refuses
            self.emit("error", code="bad_question", message=str(exc).splitlines()[0], id=answer_id)
            return
        except Exception as exc:
            log.exception("answer %s failed", answer_id)
            message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            self.emit("error", code="internal", message=message, id=answer_id)
            return
        speech = run.result
        fields = {k: v for k, v in speech.generation.to_dict().items() if k != "stream"}
        fields |= speech.metrics() | {"server_ttfa_s": first_audio, "model": self.model}
        if getattr(speech, "transcript", None) is not None:
            fields["transcript"] = speech.transcript
        self.emit("done", id=answer_id, **fields)

    async def _stop_answer(self) -> None:
        task, self.answer = self.answer, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # ---- sending ---------------------------------------------------------------------------

    def emit(self, kind: str, **fields) -> None:
        self.outbox.put_nowait({"type": kind, **fields})

    def close(self, code: int, reason: str) -> None:
        self.closing = (code, reason)
        self.outbox.put_nowait(None)

    async def _send_all(self) -> None:
        """The one writer: events in order, then the close frame (if we close)."""
        try:
            while (item := await self.outbox.get()) is not None:
                if isinstance(item, bytes):
                    await self.ws.send_bytes(item)
                else:
                    await self.ws.send_text(json.dumps(item, default=_plain))
            if self.closing is not None:
                code, reason = self.closing
                await self.ws.close(code=code, reason=reason[:120])
        except Exception:  # the client has gone: the receiver sees the disconnect
            log.debug("session %s: send failed", self.id, exc_info=True)

    async def _watch_idle(self) -> None:
        idle = self.config.idle_s
        while True:
            await asyncio.sleep(min(1.0, idle / 4))
            answering = self.answer is not None and not self.answer.done()
            if answering:
                self.last_seen = time.monotonic()
            elif time.monotonic() - self.last_seen > idle:
                self.close(CLOSE_IDLE, f"idle for {idle:g} s")
                return


def _plain(value):
    if isinstance(value, np.generic):
        return value.item()
    return str(value)
