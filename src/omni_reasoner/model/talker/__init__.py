"""The Talker: turns spoken phrases into audio (Piper by default, espeak-ng as a fallback)."""

from omni_reasoner.model.talker.base import TALKERS, Talker, TalkerError, load_talker

__all__ = ["TALKERS", "Talker", "TalkerError", "load_talker"]
