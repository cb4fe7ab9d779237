"""Comparing two models item by item on the same questions."""

from __future__ import annotations

import math


def mcnemar_p(only_a: int, only_b: int) -> float:
    """Exact two-sided McNemar p: a sign test on the items only one of the two got right."""
    n = only_a + only_b
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, k) for k in range(min(only_a, only_b) + 1)) / 2**n
    return min(1.0, 2 * tail)
