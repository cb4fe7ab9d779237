"""A schedule as a slot plan: which token the schedule forces, and what the model may choose.

The plan is the inference-time twin of `format.schedule.build_stream`: fed the tokens
of a stream that `build_stream` made, it forces exactly the tokens `build_stream` put
there by rule (switch markers, `<pad>`), and asks the model for everything else.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass

from omni_reasoner.format.schedule import Schedule, as_schedule
from omni_reasoner.format.tokens import EOS, PAD, SPEAK, THINK, THINK_END

# What a free slot may hold (besides plain content tokens):
SPEAK_SLOT = "speak"  # spoken content, <wait> while the reasoning goes on, <eos> once it ended
THINK_SLOT = "think"  # reasoning content, <think_end>
ANY_SLOT = "any"  # aligned: the model also chooses <speak>/<think>


@dataclass(frozen=True)
class Force:
    token: str


@dataclass(frozen=True)
class Free:
    kind: str
    reasoning_done: bool
    mode: str | None  # the current stream (SPEAK/THINK) for aligned


Plan = Generator["Force | Free", str, None]


def slot_plan(schedule: str | Schedule) -> Plan:
    """Yields Force/Free slots; send() it each emitted token. Ends after <eos>."""
    s = as_schedule(schedule)
    if s.kind == "answer-only":
        return _single_stream()
    if s.kind == "think-first":
        return _think_first()
    if s.kind == "aligned":
        return _aligned()
    return _interleave(s)


def _single_stream() -> Plan:
    """Speech to the end; any reasoning is over by now."""
    yield Force(SPEAK)
    while True:
        token = yield Free(SPEAK_SLOT, True, SPEAK)
        if token == EOS:
            return


def _think_first() -> Plan:
    yield Force(THINK)
    while True:
        token = yield Free(THINK_SLOT, False, THINK)
        if token == THINK_END:
            break
    yield from _single_stream()


def _interleave(s: Schedule) -> Plan:
    done = False

    def think_chunk(size: int):
        nonlocal done
        if done:
            if s.pad:
                yield Force(THINK)
                for _ in range(size):
                    yield Force(PAD)
            return
        yield Force(THINK)
        for _ in range(size):
            if done:
                if not s.pad:
                    return
                yield Force(PAD)
            else:
                token = yield Free(THINK_SLOT, False, THINK)
                done = token == THINK_END

    if s.lead:
        yield from think_chunk(s.lead)
    while True:
        if done and not s.pad:
            yield from _single_stream()
            return
        yield Force(SPEAK)
        for _ in range(s.speak):
            token = yield Free(SPEAK_SLOT, done, SPEAK)
            if token == EOS:
                return
        yield from think_chunk(s.think)


def _aligned() -> Plan:
    done = False
    mode = None
    while True:
        token = yield Free(ANY_SLOT, done, mode)
        if token in (SPEAK, THINK):
            mode = token
        elif token == THINK_END:
            done = True
        elif token == EOS:
            return


def allowed_specials(slot: Free) -> set[str]:
    """Special tokens the model may choose in this slot (content tokens are always allowed,
    except before the first switch in an aligned stream)."""
    if slot.kind == THINK_SLOT:
        return {THINK_END}
    if slot.kind == SPEAK_SLOT:
        return {EOS} if slot.reasoning_done else {"<wait>"}
    # aligned
    if slot.mode is None:
        return {SPEAK, THINK}
    allowed = {SPEAK, THINK} - {slot.mode}
    if slot.mode == THINK and not slot.reasoning_done:
        allowed.add(THINK_END)
    if slot.mode == SPEAK and slot.reasoning_done:
        allowed.add(EOS)
    return allowed


def content_allowed(slot: Free) -> bool:
    if slot.kind != ANY_SLOT:
        return True
    # aligned: nothing before the first switch, no reasoning after <think_end>
    return slot.mode is not None and not (slot.mode == THINK and slot.reasoning_done)
