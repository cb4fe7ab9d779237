"""Schedules: how one (reasoning, response) pair is laid out as one token stream.

Every schedule of design section 2 comes from the same function, so a comparison
between schedules differs in the layout alone:

    answer-only              <speak> response <eos>
    think-first              <think> reasoning <think_end> <speak> response <eos>
    interleave:2:8           <speak> s s <think> r*8 <speak> s s <think> r*8 ... ; once the
                             reasoning ended its slots hold <pad> (the paper's layout)
    interleave:2:8+lead:16   16 reasoning tokens before the first spoken token
    interleave:2:8+nopad     once the reasoning ended, speech flows without <pad> slots
    aligned                  like 2:8, but a spoken token waits (the stream keeps thinking)
                             until the reasoning has derived every number it states; the
                             model chooses the switches itself, so drift is zero by design

A spoken slot with nothing to say while the reasoning goes on holds `<wait>`; the
stream ends at `<eos>` (the paper's trailing `[pad]*8` after `[eos]` carries nothing).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from omni_reasoner.format.numbers import find_numbers
from omni_reasoner.format.tokens import (
    EOS,
    PAD,
    SPEAK,
    SPECIAL_TOKENS,
    SWITCH_TOKENS,
    THINK,
    THINK_END,
    WAIT,
)

KINDS = ("answer-only", "think-first", "interleave", "aligned")
DEFAULT_SPEAK, DEFAULT_THINK, DEFAULT_LEAD = 2, 8, 16


class ScheduleError(ValueError):
    pass


@dataclass(frozen=True)
class Schedule:
    kind: str
    speak: int = 0  # spoken tokens per cycle
    think: int = 0  # reasoning tokens per cycle
    lead: int = 0  # reasoning tokens before the first spoken one
    pad: bool = True  # keep reasoning slots (as <pad>) after the reasoning ended

    @property
    def name(self) -> str:
        if self.kind in ("answer-only", "think-first"):
            return self.kind
        if self.kind == "aligned":
            default = (self.speak, self.think) == (DEFAULT_SPEAK, DEFAULT_THINK)
            return "aligned" if default else f"aligned:{self.speak}:{self.think}"
        name = f"interleave:{self.speak}:{self.think}"
        if self.lead:
            name += f"+lead:{self.lead}"
        if not self.pad:
            name += "+nopad"
        return name

    @property
    def model_switches(self) -> bool:
        """True when the model, not the schedule, decides where the streams switch."""
        return self.kind == "aligned"

    def __str__(self) -> str:
        return self.name

    @classmethod
    def parse(cls, text: str) -> Schedule:
        return parse_schedule(text)


_HINT = "expected answer-only, think-first, aligned[:S:R] or interleave:S:R[+lead:L][+nopad] with integers S, R >= 1, L >= 0"


def parse_schedule(text: str) -> Schedule:
    if not isinstance(text, str) or not text.strip():
        raise ScheduleError(f"empty schedule: {_HINT}")
    raw = text.strip()
    head, *mods = raw.split("+")
    parts = head.split(":")
    kind = parts[0]

    def fail(why: str) -> ScheduleError:
        return ScheduleError(f"unknown schedule {raw!r}: {why}; {_HINT}")

    def positive_ints(values: list[str], what: str) -> list[int]:
        if not all(re.fullmatch(r"\d+", v) for v in values):
            raise fail(f"{what} must be integers")
        ints = [int(v) for v in values]
        if any(v < 1 for v in ints):
            raise fail(f"{what} must be >= 1")
        return ints

    if kind in ("answer-only", "think-first"):
        if len(parts) > 1 or mods:
            raise fail(f"{kind} takes no parameters")
        return Schedule(kind)
    if kind == "aligned":
        if mods:
            raise fail("aligned takes no modifiers")
        if len(parts) == 1:
            return Schedule("aligned", DEFAULT_SPEAK, DEFAULT_THINK)
        if len(parts) != 3:
            raise fail("aligned takes S:R")
        speak, think = positive_ints(parts[1:], "S and R")
        return Schedule("aligned", speak, think)
    if kind != "interleave":
        raise fail(f"no schedule kind {kind!r}")
    if len(parts) == 1:
        speak, think = DEFAULT_SPEAK, DEFAULT_THINK
    elif len(parts) == 3:
        speak, think = positive_ints(parts[1:], "S and R")
    else:
        raise fail("interleave takes S:R")
    lead, pad, seen = 0, True, set()
    for mod in mods:
        name, _, value = mod.partition(":")
        if name in seen:
            raise fail(f"modifier +{name} given twice")
        seen.add(name)
        if name == "nopad" and not value:
            pad = False
        elif name == "lead":
            if not re.fullmatch(r"\d+", value or ""):
                raise fail("lead must be +lead:L with an integer L")
            lead = int(value)
        else:
            raise fail(f"no modifier +{mod}")
    return Schedule("interleave", speak, think, lead, pad)


DEFAULT_SCHEDULES = (
    "answer-only",
    "think-first",
    f"interleave:{DEFAULT_SPEAK}:{DEFAULT_THINK}",
    f"interleave:{DEFAULT_SPEAK}:{DEFAULT_THINK}+lead:{DEFAULT_LEAD}",
    f"interleave:{DEFAULT_SPEAK}:{DEFAULT_THINK}+nopad",
    "aligned",
)


def as_schedule(schedule: str | Schedule) -> Schedule:
    return schedule if isinstance(schedule, Schedule) else parse_schedule(schedule)


def build_stream(
    reasoning: list[str], response: list[str], schedule: str | Schedule, question: str = ""
) -> list[str]:
    """Lay reasoning and response units out as one stream under `schedule`.

    `question` matters only for `aligned`: a number the question states may be spoken
    at once, before any reasoning.
    """
    schedule = as_schedule(schedule)
    if schedule.kind == "answer-only":
        return [SPEAK, *response, EOS]
    if schedule.kind == "think-first":
        return [THINK, *reasoning, THINK_END, SPEAK, *response, EOS]
    if schedule.kind == "aligned":
        return _aligned(reasoning, response, schedule, question)
    return _interleave(reasoning, response, schedule)


def _interleave(reasoning: list[str], response: list[str], s: Schedule) -> list[str]:
    think_left = [*reasoning, THINK_END]
    speak_left = list(response)
    out: list[str] = []

    def think_chunk(size: int) -> None:
        taken, think_left[:] = think_left[:size], think_left[size:]
        if taken or s.pad:
            out.extend([THINK, *taken, *[PAD] * (size - len(taken) if s.pad else 0)])

    if s.lead:
        think_chunk(s.lead)
    while True:
        if not think_left and not s.pad:
            # +nopad: the reasoning is over, the rest of the response flows in one run.
            out.extend([SPEAK, *speak_left, EOS])
            return out
        out.append(SPEAK)
        for _ in range(s.speak):
            if speak_left:
                out.append(speak_left.pop(0))
            elif think_left:
                out.append(WAIT)
            else:
                out.append(EOS)
                return out
        think_chunk(s.think)


def response_needs(question: str, reasoning: list[str], response: list[str]) -> list[int]:
    """For each response unit, how many reasoning units must precede it.

    A spoken number needs the reasoning up to the first place that writes it, unless
    the question states it. Needs are made non-decreasing: speech is said in order.
    """
    known = {m.value for m in find_numbers(question)}
    reasoning_text, ends = _offsets(reasoning)
    first_written: dict[str, int] = {}
    for m in find_numbers(reasoning_text):
        first_written.setdefault(m.value, _unit_at(ends, m.end - 1) + 1)
    response_text, response_ends = _offsets(response)
    needs = [0] * len(response)
    for m in find_numbers(response_text):
        if m.value in known:
            continue
        # A number the reasoning never writes can only be said once it has finished.
        need = first_written.get(m.value, len(reasoning) + 1)
        for i in range(_unit_at(response_ends, m.start), _unit_at(response_ends, m.end - 1) + 1):
            needs[i] = max(needs[i], need)
    for i in range(1, len(needs)):
        needs[i] = max(needs[i], needs[i - 1])
    return needs


def _offsets(units: list[str]) -> tuple[str, list[int]]:
    ends, pos = [], 0
    for unit in units:
        pos += len(unit)
        ends.append(pos)
    return "".join(units), ends


def _unit_at(ends: list[int], char_index: int) -> int:
    lo, hi = 0, len(ends) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if ends[mid] <= char_index:
            lo = mid + 1
        else:
            hi = mid
    return lo


def _aligned(reasoning: list[str], response: list[str], s: Schedule, question: str) -> list[str]:
    needs = response_needs(question, reasoning, response)
    think_left = [*reasoning, THINK_END]
    done_thinking = 0  # reasoning units (THINK_END counts as one) already in the stream
    i = 0
    out: list[str] = []
    while i < len(response) or think_left:
        spoken = []
        while i < len(response) and len(spoken) < s.speak and needs[i] <= done_thinking:
            spoken.append(response[i])
            i += 1
        if not think_left:  # the reasoning is over: say the rest in one run
            spoken.extend(response[i:])
            i = len(response)
        if spoken:
            out.extend([SPEAK, *spoken])
        if think_left:
            # Think at least one chunk, and on until the next spoken unit is supported.
            size = s.think
            if i < len(response):
                size = max(size, needs[i] - done_thinking)
            taken, think_left = think_left[:size], think_left[size:]
            done_thinking += len(taken)
            out.extend([THINK, *taken])
    if _last_mode(out) != SPEAK:
        out.append(SPEAK)
    out.append(EOS)
    return out


def _last_mode(stream: list[str]) -> str | None:
    for token in reversed(stream):
        if token in SWITCH_TOKENS:
            return token
    return None


def tokens_before_first_spoken(stream: list[str]) -> int | None:
    """Tokens generated before the first spoken word, switch markers not counted.

    0 for a stream that speaks first; the whole reasoning (and `<think_end>`) for
    think-first. None when nothing is ever spoken.
    """
    mode = None
    count = 0
    for token in stream:
        if token in SWITCH_TOKENS:
            mode = token
        elif mode != THINK and token not in SPECIAL_TOKENS:
            return count
        else:
            count += 1
    return None


@dataclass
class ParsedStream:
    """What a (possibly malformed) generated stream says, split by stream."""

    spoken_units: list[str]
    reasoning_units: list[str]
    ended: bool  # an <eos> was reached
    reasoning_ended: bool  # a <think_end> was reached
    problems: list[str]  # what was malformed, for reports; empty for a clean stream

    @property
    def spoken_text(self) -> str:
        return "".join(self.spoken_units).strip()

    @property
    def reasoning_text(self) -> str:
        return "".join(self.reasoning_units).strip()


def parse_stream(stream: list[str]) -> ParsedStream:
    """Split a stream back into its two texts. Never raises: a model will make odd streams.

    Content before the first switch token counts as spoken (what a listener would hear),
    reasoning after `<think_end>` is still kept, and everything after `<eos>` is dropped.
    """
    spoken: list[str] = []
    reasoning: list[str] = []
    mode: str | None = None
    ended = reasoning_ended = False
    problems: list[str] = []
    for index, token in enumerate(stream):
        if token == EOS:
            ended = True
            if any(t not in (PAD, EOS) for t in stream[index + 1 :]):
                problems.append(f"{len(stream) - index - 1} tokens after <eos>")
            break
        if token in SWITCH_TOKENS:
            mode = token
        elif token == THINK_END:
            if reasoning_ended:
                problems.append("<think_end> twice")
            reasoning_ended = True
        elif token in (PAD, WAIT):
            continue
        elif token.startswith("<") and token.endswith(">") and len(token) > 2 and " " not in token:
            problems.append(f"unexpected token {token}")
        elif mode == THINK:
            if reasoning_ended:
                problems.append("reasoning after <think_end>")
            reasoning.append(token)
        else:
            if mode is None:
                problems.append("content before the first switch token")
                mode = SPEAK
            spoken.append(token)
    if not ended:
        problems.append("no <eos>")
    return ParsedStream(spoken, reasoning, ended, reasoning_ended, problems)


def calculator_result_mask(reasoning: list[str]) -> list[bool]:
    """True for reasoning units the engine computes: the result after '=' in '<< ... >>' and the '>>'.

    The model writes `<<48/2=`; the inference engine evaluates it and feeds `24>>` in,
    so those units are known in advance and never learned.
    """
    mask = [False] * len(reasoning)
    stripped = [u.strip() for u in reasoning]
    inside = after_equals = False
    for i, unit in enumerate(stripped):
        prev = stripped[i - 1] if i else ""
        if unit == "<" and prev == "<" and not inside:
            inside, after_equals = True, False
        elif inside and unit == "=":
            after_equals = True
        elif inside and after_equals:
            mask[i] = True
            if unit == ">" and prev == ">":
                inside = after_equals = False
    return mask


def loss_mask(stream: list[str], schedule: str | Schedule, calculator: bool = True) -> list[int]:
    """1 where the model learns to predict the token, 0 where the schedule or engine forces it.

    Forced: `<pad>` slots; switch tokens when the schedule (not the model) places them;
    calculator results (when `calculator`). The prompt is not part of `stream` and is
    never in the loss.
    """
    schedule = as_schedule(schedule)
    mask = [1] * len(stream)
    reasoning_positions = []
    mode = None
    for i, token in enumerate(stream):
        if token == PAD or (token in SWITCH_TOKENS and not schedule.model_switches):
            mask[i] = 0
        if token in SWITCH_TOKENS:
            mode = token
        elif mode == THINK and token not in (PAD, THINK_END, WAIT, EOS):
            reasoning_positions.append(i)
    if calculator:
        computed = calculator_result_mask([stream[i] for i in reasoning_positions])
        for position, is_computed in zip(reasoning_positions, computed, strict=True):
            if is_computed:
                mask[position] = 0
    return mask


def forced_tokens(stream: list[str], schedule: str | Schedule) -> list[bool]:
    """Tokens an inference engine can feed without decoding (the schedule's own tokens)."""
    return [m == 0 for m in loss_mask(stream, schedule, calculator=False)]
