"""The one loaded Thinker and Talker, shared by every session, and how answers take turns.

Two cores cannot decode eight answers at once faster than one after another, so only one
answer decodes at any instant. The question is who goes next. `queue` lets each answer
decode to its end before the next one starts (first come, first served): the first
session hears its answer soonest, the eighth waits for seven whole answers. `interleave`
(the default) hands the decoder round-robin between the answers in flight every few
tokens, the way an operating system shares a core: every session hears its first phrase
after a few tokens of each of the others, and because speaking an answer takes several
times longer than decoding it, the later phrases still arrive before the audio runs dry.
Batched decoding across sessions would share each forward pass as well; the engine does
not batch streaming answers yet (see docs/serving.md).

Synthesis runs on its own thread per answer (the speaking engine), serialized by a lock
because Piper's phonemizer is one C library with global state; so one core decodes while
the other synthesizes.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import AsyncIterator, Callable

from omni_reasoner.infer.speaking import SpeakingRun, speak_answer


class Turns:
    """A fair (first in, first out) lock that its holder can pass to the next waiter."""

    def __init__(self):
        self._cond = threading.Condition()
        self._waiting: deque = deque()
        self._held = False

    def acquire(self) -> None:
        with self._cond:
            me = object()
            self._waiting.append(me)
            self._cond.wait_for(lambda: not self._held and self._waiting[0] is me)
            self._waiting.popleft()
            self._held = True

    def release(self) -> None:
        with self._cond:
            self._held = False
            self._cond.notify_all()

    def pass_turn(self) -> None:
        """Let whoever waits go first, then queue up again; a no-op when nobody waits."""
        with self._cond:
            if not self._waiting:
                return
        self.release()
        self.acquire()

    @property
    def waiting(self) -> int:
        return len(self._waiting)


class _TakingTurns:
    """Looks like a Reasoner to the speaking engine; decodes only while it holds the turn."""

    def __init__(self, reasoner, turns: Turns, every: int | None):
        self.reasoner, self.turns, self.every = reasoner, turns, every
        self.tokens = 0

    def __getattr__(self, name):
        return getattr(self.reasoner, name)

    def _wrap(self, callback: Callable[[str], None] | None) -> Callable[[str], None]:
        def take_turns(piece: str) -> None:
            if callback is not None:
                callback(piece)  # may raise to stop decoding: the turn is released below
            self.tokens += 1
            if self.every and self.tokens % self.every == 0:
                self.turns.pass_turn()

        return take_turns

    def _run(self, method, question, on_spoken=None, on_reasoning=None, **kwargs):
        self.turns.acquire()
        try:
            return method(
                question,
                on_spoken=self._wrap(on_spoken),
                on_reasoning=self._wrap(on_reasoning),
                **kwargs,
            )
        finally:
            self.turns.release()

    def ask(self, question, **kwargs):
        return self._run(self.reasoner.ask, question, **kwargs)

    def ask_audio(self, audio, **kwargs):
        return self._run(self.reasoner.ask_audio, audio, **kwargs)


class LockedTalker:
    """A Talker that synthesizes one phrase at a time, whichever session asks."""

    def __init__(self, talker):
        self.talker = talker
        self.name, self.sample_rate = talker.name, talker.sample_rate
        self._lock = threading.Lock()

    def synthesize(self, text: str):
        with self._lock:
            return self.talker.synthesize(text)


class _Stop(Exception):
    """Raised in a callback when the listener has gone."""


class Worker:
    """The shared model: `speak` for audio answers, `think` for text-only streams."""

    def __init__(self, reasoner, talker, concurrency: str = "interleave", turn_tokens: int = 4):
        self.reasoner = reasoner
        self.talker = LockedTalker(talker) if talker is not None else None
        self.concurrency = concurrency
        self.every = turn_tokens if concurrency == "interleave" else None
        self.turns = Turns()

    def thinker(self) -> _TakingTurns:
        return _TakingTurns(self.reasoner, self.turns, self.every)

    def speak(self, question, **options) -> SpeakingRun:
        """`async for chunk in worker.speak(...)`, as `speak_answer`, taking turns."""
        if self.talker is None:
            raise ValueError("this server was started without a talker")
        return speak_answer(self.thinker(), question, self.talker, **options)

    async def think(self, question: str, **options) -> AsyncIterator[tuple[str, object]]:
        """Text only: yields ("spoken", piece) and ("reasoning", piece) as they are
        decoded, then ("done", Generation). Leaving early stops the decoder."""
        loop = asyncio.get_running_loop()
        events: asyncio.Queue = asyncio.Queue()
        gone = threading.Event()

        def put(item) -> None:
            if gone.is_set():
                raise _Stop
            loop.call_soon_threadsafe(events.put_nowait, item)

        def decode() -> None:
            try:
                generation = self.thinker().ask(
                    question,
                    on_spoken=lambda piece: put(("spoken", piece)),
                    on_reasoning=lambda piece: put(("reasoning", piece)),
                    **options,
                )
                put(("done", generation))
            except _Stop:
                pass
            except Exception as exc:  # raised where the caller iterates
                if not gone.is_set():
                    loop.call_soon_threadsafe(events.put_nowait, ("error", exc))

        thread = threading.Thread(target=decode, daemon=True)
        thread.start()
        try:
            while True:
                kind, value = await events.get()
                if kind == "error":
                    raise value
                yield kind, value
                if kind == "done":
                    return
        finally:
            gone.set()
            await asyncio.to_thread(thread.join)
