"""The server's settings and limits, one plain dataclass shared by the app and the sessions."""

from __future__ import annotations

from dataclasses import dataclass, field

CONCURRENCY = ("interleave", "queue")


class ServeError(ValueError):
    """A bad server setting; one line for the CLI."""


@dataclass
class ServeConfig:
    host: str = "127.0.0.1"
    port: int = 8000
    model: str | None = None  # checkpoint directory; None = the embedded default
    talker: str | None = None  # piper (default) or espeak
    # How answers share the one decoder: "interleave" hands it round-robin between the
    # answers in flight every `turn_tokens` tokens; "queue" runs them one after another.
    concurrency: str = "interleave"
    turn_tokens: int = 4
    max_sessions: int = 16  # open WebSocket sessions; one more is closed with 1013
    max_message_bytes: int = 2 * 1024 * 1024  # one WebSocket frame or one upload
    max_audio_s: float = 30.0  # one spoken question
    idle_s: float = 300.0  # a session with no message and no answer running is closed (4000)
    allowed_origins: list[str] = field(default_factory=list)  # besides the server's own
    warm_up: bool = True  # run each part once at startup, so the first question is not slower

    def validate(self) -> ServeConfig:
        if self.concurrency not in CONCURRENCY:
            raise ServeError(
                f"unknown concurrency {self.concurrency!r}; choose one of: {', '.join(CONCURRENCY)}"
            )
        if not 0 <= self.port <= 65535:
            raise ServeError(f"port {self.port} is out of range 0-65535")
        for name in ("turn_tokens", "max_sessions", "max_message_bytes"):
            if getattr(self, name) < 1:
                raise ServeError(f"{name.replace('_', '-')} must be at least 1")
        for name in ("max_audio_s", "idle_s"):
            if not getattr(self, name) > 0:
                raise ServeError(f"{name.replace('_', '-')} must be positive")
        return self

    def limits(self) -> dict:
        """What a client is told when it connects."""
        return {
            "max_message_bytes": self.max_message_bytes,
            "max_audio_s": self.max_audio_s,
            "idle_s": self.idle_s,
            "max_sessions": self.max_sessions,
        }
