"""Numbers as digits and as spoken words, both ways.

The spoken stream says numbers in words ("seventy-two") while the reasoning stream
writes digits ("72"); the drift checker and the answer scorer must see both as the
same value, so everything here works on a canonical string form (see `canonical`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

ONES = [
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
    "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen",
    "seventeen", "eighteen", "nineteen",
]  # fmt: skip
TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
SCALES = [(10**12, "trillion"), (10**9, "billion"), (10**6, "million"), (1000, "thousand")]

_SMALL = {w: i for i, w in enumerate(ONES)} | {w: 10 * i for i, w in enumerate(TENS) if w}
_SCALE_WORDS = {w: v for v, w in SCALES} | {"hundred": 100}
NUMBER_WORDS = frozenset(_SMALL) | frozenset(_SCALE_WORDS)


def canonical(value: str | int | float | Decimal) -> str:
    """One string per value: no commas, no trailing zeros, no '+', '-0' is '0'.

    Returns the input unchanged (stripped) when it is not a number, so callers can
    compare answers without a try/except around every call.
    """
    text = str(value).strip().replace(",", "")
    try:
        number = Decimal(text)
    except InvalidOperation:
        return str(value).strip()
    if not number.is_finite():
        return str(value).strip()
    if number == number.to_integral_value():
        return str(int(number))
    return format(number.normalize(), "f")


def _int_to_words(n: int) -> str:
    if n < 20:
        return ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return TENS[tens] + ("-" + ONES[ones] if ones else "")
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        return ONES[hundreds] + " hundred" + (" " + _int_to_words(rest) if rest else "")
    for scale, name in SCALES:
        if n >= scale:
            head, rest = divmod(n, scale)
            return _int_to_words(head) + " " + name + (" " + _int_to_words(rest) if rest else "")
    raise AssertionError("unreachable")


def number_to_words(value: str | int | float | Decimal) -> str:
    """'72' -> 'seventy-two', '-3.05' -> 'minus three point zero five'."""
    text = canonical(value)
    try:
        number = Decimal(text)
    except InvalidOperation as exc:
        raise ValueError(f"not a number: {value!r}") from exc
    if abs(number) >= 10**15:
        raise ValueError(f"number too large to say: {value!r}")
    sign = "minus " if number < 0 else ""
    whole, _, frac = text.lstrip("-").partition(".")
    words = _int_to_words(int(whole))
    if frac:
        words += " point " + " ".join(ONES[int(d)] for d in frac)
    return sign + words


@dataclass(frozen=True)
class NumberMention:
    """A number found in text: its canonical value and where it sits."""

    value: str
    start: int
    end: int


# A sign only where no operand precedes the minus ("-5", "(-5)", but not "7-5" or ")-5");
# "4x7" is two numbers, "4x" or "x7" inside a word is none.
_DIGITS = re.compile(
    r"(?:(?<![\w.)])-(?=\d)|(?<=\d[xX])|(?<![\w.]))"
    r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
    r"(?:(?=[xX]\d)|(?![\w]))"
)
_WORD = re.compile(r"[a-z]+", re.IGNORECASE)


def _parse_word_run(words: list[str]) -> int | None:
    """Value of a run of number words ('three hundred twelve'), or None if not a number."""
    total, current, seen = 0, 0, False
    for word in words:
        if word in _SMALL:
            current += _SMALL[word]
            seen = True
        elif word == "hundred":
            current = (current or 1) * 100
            seen = True
        elif word in _SCALE_WORDS:
            total += (current or 1) * _SCALE_WORDS[word]
            current = 0
            seen = True
    return total + current if seen else None


def _signed(text: str, start: int) -> bool:
    """'minus five' is -5 unless an amount stands before it: 'twelve minus five' subtracts."""
    before = text[:start].lower()
    if not before.endswith("minus "):
        return False
    words = before[: -len("minus ")].split()
    previous = words[-1].strip(",;:") if words else ""
    return not (previous[-1:].isdigit() or previous.split("-")[-1] in NUMBER_WORDS)


def _current_group(run: list[str]) -> list[str]:
    """The words after the last thousand/million/... in a run."""
    for i in range(len(run) - 1, -1, -1):
        if run[i] in _SCALE_WORDS and run[i] != "hundred":
            return run[i + 1 :]
    return run


def _word_mentions(text: str) -> list[NumberMention]:
    mentions: list[NumberMention] = []
    tokens = [(m.group().lower(), m.start(), m.end()) for m in _WORD.finditer(text)]
    i = 0
    while i < len(tokens):
        word = tokens[i][0]
        if word not in NUMBER_WORDS:
            i += 1
            continue
        j = i
        run: list[str] = []
        while j < len(tokens):
            w, s, _ = tokens[j]
            gap = text[tokens[j - 1][2] : s] if j > i else ""
            joinable = gap.strip() in ("", "-")
            if w in NUMBER_WORDS and joinable:
                # "twenty three" joins, "three twenty" starts a new number: a ones word
                # may not follow a ones word, nor a tens word another tens word.
                if run and w in _SMALL and run[-1] in _SMALL:
                    last, cur = _SMALL[run[-1]], _SMALL[w]
                    if not (last >= 20 and last % 10 == 0 and cur < 10):
                        break
                if w == "hundred" and "hundred" in _current_group(run):
                    break  # "one hundred two hundred" is two numbers
                run.append(w)
                j += 1
            elif w == "and" and run and run[-1] == "hundred" and joinable:
                # "one hundred and five", but not "one hundred and two hundred"
                nxt = tokens[j + 1][0] if j + 1 < len(tokens) else ""
                after = tokens[j + 2][0] if j + 2 < len(tokens) else ""
                if nxt in _SMALL and after not in _SCALE_WORDS:
                    j += 1
                    continue
                break
            else:
                break
        value = _parse_word_run(run)
        start, end = tokens[i][1], tokens[j - 1][2]
        # "point" decimals: "three point five"
        if j + 1 < len(tokens) and tokens[j][0] == "point" and tokens[j + 1][0] in ONES[:10]:
            k = j + 1
            digits = ""
            while k < len(tokens) and tokens[k][0] in ONES[:10]:
                digits += str(ONES.index(tokens[k][0]))
                k += 1
            negative = _signed(text, start)
            sign = "-" if negative else ""
            mentions.append(
                NumberMention(canonical(f"{sign}{value}.{digits}"), start, tokens[k - 1][2])
            )
            i = k
            continue
        if value is not None:
            negative = _signed(text, start)
            mentions.append(NumberMention(canonical(-value if negative else value), start, end))
        i = j
    return mentions


def find_numbers(text: str) -> list[NumberMention]:
    """Every number in `text`, written in digits or in words, in reading order."""
    mentions = [
        NumberMention(canonical(m.group()), m.start(), m.end()) for m in _DIGITS.finditer(text)
    ]
    mentions += _word_mentions(text)
    return sorted(mentions, key=lambda m: m.start)


def number_values(text: str) -> set[str]:
    return {m.value for m in find_numbers(text)}
