"""Answer extraction and scoring as Spoken-MQA's public evaluation does it.

Spoken-MQA (through AudioBench, with MAmmoTH's cleaning for GSM8K-style answers) takes
the text after the last "The answer is" trigger and picks its first number; without a
trigger it picks the last number of the whole output; then it compares strings exactly
after dropping commas and trailing zeros. Only digits count, as there: an answer said
only in words scores zero, which is why responses end with "The answer is 72."
"""

from __future__ import annotations

import math
import re

TRIGGERS = ("The answer is:", "The answer is", "the answer is", "####")
_NUMBER = re.compile(r"-?\d+/?\.?\d*")
_TRIGGER = re.compile("|".join(re.escape(t) for t in TRIGGERS))


def drop_extra_zeros(number: str) -> str:
    """'3.50' -> '3.5', '4.0' -> '4'; anything unparsable stays as it is."""
    try:
        value = float(number)
    except ValueError:
        return number
    if not math.isfinite(value):  # a model that never stops saying digits: keep its string
        return number
    if value == int(value):
        return str(int(value))
    return str(value).rstrip("0").rstrip(".") if "." in str(value) else str(value)


def extract_answer(text: str) -> str | None:
    parts = _TRIGGER.split(text.strip())
    triggered = len(parts) > 1
    tail = parts[-1].strip().rstrip(".").rstrip("/").strip().replace(",", "")
    numbers = [drop_extra_zeros(n.rstrip(".").rstrip("/")) for n in _NUMBER.findall(tail)]
    if not numbers:
        return None
    return numbers[0] if triggered else numbers[-1]


def is_correct(prediction: str | None, reference: str) -> bool:
    if prediction is None:
        return False
    return prediction == drop_extra_zeros(reference.replace(",", "").strip())
