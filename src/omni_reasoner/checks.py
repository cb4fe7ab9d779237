"""Small value checks that configs in several packages share."""

from __future__ import annotations


def is_count(value, minimum: int = 0) -> bool:
    """An integer >= minimum; YAML's true/false are ints to Python, but not counts."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= minimum
