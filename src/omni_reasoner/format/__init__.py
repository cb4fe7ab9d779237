"""The interleaved thinking-in-speaking format: tokens, schedules, parser, drift."""

from omni_reasoner.format.drift import DriftEvent, drift_rate, find_drift
from omni_reasoner.format.schedule import (
    DEFAULT_SCHEDULES,
    ParsedStream,
    Schedule,
    ScheduleError,
    build_stream,
    forced_tokens,
    loss_mask,
    parse_schedule,
    parse_stream,
)
from omni_reasoner.format.tokens import SPECIAL_TOKENS, join_units, normalize_text, split_units

__all__ = [
    "DEFAULT_SCHEDULES",
    "DriftEvent",
    "ParsedStream",
    "SPECIAL_TOKENS",
    "Schedule",
    "ScheduleError",
    "build_stream",
    "drift_rate",
    "find_drift",
    "forced_tokens",
    "join_units",
    "loss_mask",
    "normalize_text",
    "parse_schedule",
    "parse_stream",
    "split_units",
]
