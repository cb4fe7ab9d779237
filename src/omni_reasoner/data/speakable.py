"""Stage 2 of the builder: a written math question becomes words a TTS says unambiguously.

Voices misread "3/4", "$5.50", "12 x 4" and "5 in."; the spoken question must carry
exactly the numbers the solution uses, so every number, and every symbol or unit that
sits next to a number, is spelled out, and the rest of the sentence is left as written.

The passes run most specific first: clock times before ratios, money, percent and units
before bare fractions, operators before bare numbers. Each pass wraps what it wrote in
two private-use markers, so the operator pass still sees "five dollars" as a number in
"$5 + $3"; the markers are dropped at the end.

Brackets around arithmetic are heard, never dropped (innermost first):
    (a + b)  the sum of a and b
    (a - b)  the difference of a and b     (a minus b: the order is kept)
    (a x b)  the product of a and b        (also * and ×)
    (a ÷ b)  the quotient of a and b       (a divided by b; also /)
and a comma closes the phrase before an operator: "(12 + 7) x 3" is "the sum of twelve and
seven, times three"; outside the phrase the usual precedence holds. Anything else inside -
three or more operands, a power, a nested group, an amount with an "and" of its own ("two
and one half") or a first amount ending in "hundred"/"thousand" (which "and" would extend)
- is "open bracket ... close bracket". A bracketed single amount next to an operator is the
amount: "3 x (-2)" is "three times minus two". Brackets in prose stay.

A sentence (the text ends in . ? or !) that starts with a number starts with a capital.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal

from omni_reasoner.format.numbers import ONES, number_to_words

OPEN, CLOSE = "\ue000", "\ue001"  # around every rewritten amount; never in the output

_INT = r"(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+)"
_DEC = rf"(?:{_INT}(?:\.\d+)?|\.\d+)"
_FRACTION_END = r"(?![\d/]|\.\d)"  # "3/4" but not "3/4/2020" or "1/2.5"
_AMOUNT = rf"(?:\d+ \d+/\d+{_FRACTION_END}|\d+/\d+{_FRACTION_END}|{_DEC})"
# A leading "-" is a sign only where no operand precedes it ("-5", "(-5"), not in "5-3".
_LEAD = rf"(?P<sign>(?<![\w){CLOSE}.])-)?(?<![\d./])"
_PER = r"(?: ?/ ?(?P<per>[A-Za-z]+)(?![\w]))?"  # "$12/hour", "60 km/h"

_VULGAR = {
    "½": "1/2", "⅓": "1/3", "⅔": "2/3", "¼": "1/4", "¾": "3/4", "⅕": "1/5", "⅖": "2/5",
    "⅗": "3/5", "⅘": "4/5", "⅙": "1/6", "⅚": "5/6", "⅛": "1/8", "⅜": "3/8", "⅝": "5/8",
    "⅞": "7/8",
}  # fmt: skip

_ORDINAL_LAST = {
    "one": "first", "two": "second", "three": "third", "five": "fifth",
    "eight": "eighth", "nine": "ninth", "twelve": "twelfth",
}  # fmt: skip

_CURRENCIES = {
    "$": ("dollar", "dollars", "cent", "cents"),
    "£": ("pound", "pounds", "penny", "pence"),
    "€": ("euro", "euros", "cent", "cents"),
}
_SCALE_ABBREVIATIONS = {
    "k": "thousand",
    "m": "million",
    "mn": "million",
    "b": "billion",
    "bn": "billion",
}

# Abbreviation (lower case) -> (singular, plural). Only read right after a number.
_UNITS = {
    "km": ("kilometer", "kilometers"), "m": ("meter", "meters"),
    "cm": ("centimeter", "centimeters"), "mm": ("millimeter", "millimeters"),
    "kg": ("kilogram", "kilograms"), "g": ("gram", "grams"), "mg": ("milligram", "milligrams"),
    "lb": ("pound", "pounds"), "lbs": ("pound", "pounds"), "oz": ("ounce", "ounces"),
    "mph": ("mile per hour", "miles per hour"), "kph": ("kilometer per hour", "kilometers per hour"),
    "h": ("hour", "hours"), "hr": ("hour", "hours"), "hrs": ("hour", "hours"),
    "min": ("minute", "minutes"), "mins": ("minute", "minutes"),
    "s": ("second", "seconds"), "sec": ("second", "seconds"), "secs": ("second", "seconds"),
    "ml": ("milliliter", "milliliters"), "l": ("liter", "liters"),
    "ft": ("foot", "feet"), "in.": ("inch", "inches"), '"': ("inch", "inches"),
    "yd": ("yard", "yards"), "yds": ("yard", "yards"), "mi": ("mile", "miles"),
    "gal": ("gallon", "gallons"), "qt": ("quart", "quarts"),
    "yr": ("year", "years"), "yrs": ("year", "years"), "wk": ("week", "weeks"), "wks": ("week", "weeks"),
    "sq ft": ("square foot", "square feet"), "sq m": ("square meter", "square meters"),
    "sq km": ("square kilometer", "square kilometers"), "sq in": ("square inch", "square inches"),
    "sq mi": ("square mile", "square miles"), "sq yd": ("square yard", "square yards"),
    "ft²": ("square foot", "square feet"), "m²": ("square meter", "square meters"),
    "cm²": ("square centimeter", "square centimeters"), "km²": ("square kilometer", "square kilometers"),
    "m³": ("cubic meter", "cubic meters"), "cm³": ("cubic centimeter", "cubic centimeters"),
    "°f": ("degree Fahrenheit", "degrees Fahrenheit"), "° f": ("degree Fahrenheit", "degrees Fahrenheit"),
    "°c": ("degree Celsius", "degrees Celsius"), "° c": ("degree Celsius", "degrees Celsius"),
    "°": ("degree", "degrees"),
}  # fmt: skip
_ONE_LETTER_UNITS = {
    "m",
    "g",
    "h",
    "s",
    "l",
    "L",
}  # "5 M" or "5 S" is not a unit: case matters here

_OPERATOR_WORDS = {
    "+": "plus", "-": "minus", "×": "times", "*": "times", "x": "times", "÷": "divided by",
    "/": "divided by", "=": "equals", "^": "to the power of", "<": "is less than",
    ">": "is greater than", "<=": "is less than or equal to", "≤": "is less than or equal to",
    ">=": "is greater than or equal to", "≥": "is greater than or equal to", "≠": "is not equal to",
}  # fmt: skip


# --- readings ----------------------------------------------------------------------------


def _ordinal(n: int) -> str:
    """23 -> 'twenty-third': only the last word of the cardinal changes."""
    head, last = re.fullmatch(r"(.*?)([a-z]+)", number_to_words(n)).groups()
    if last in _ORDINAL_LAST:
        last = _ORDINAL_LAST[last]
    elif last.endswith("y"):
        last = last[:-1] + "ieth"
    else:
        last += "th"
    return head + last


def _fraction_words(numerator: int, denominator: int) -> str:
    """3/4 -> 'three quarters', 1/2 -> 'one half', 5/8 -> 'five eighths'."""
    if denominator == 2:
        name = "half" if numerator == 1 else "halves"
    elif denominator == 4:
        name = "quarter" if numerator == 1 else "quarters"
    else:
        name = _ordinal(denominator) + ("" if numerator == 1 else "s")
        if denominator in (100, 1000, 10**6):  # "three hundredths", not "three one hundredths"
            name = name.removeprefix("one ")
    return f"{number_to_words(numerator)} {name}"


def _is_proper(fraction: str) -> bool:
    numerator, denominator = (int(part) for part in fraction.split("/"))
    return numerator < denominator and denominator >= 2


def _unit_names(abbreviation: str) -> tuple[str, str] | None:
    if len(abbreviation) == 1 and abbreviation.isalpha() and abbreviation not in _ONE_LETTER_UNITS:
        return None
    return _UNITS.get(abbreviation.lower())


def _decimal_words(text: str) -> str:
    """Cardinal reading; digit by digit past number_to_words' range (ids, long codes)."""
    plain = text.replace(",", "")
    try:
        return number_to_words(plain)
    except ValueError:
        sign = "minus " if plain.startswith("-") else ""
        return sign + " ".join("point" if c == "." else ONES[int(c)] for c in plain.lstrip("-"))


_NUMBER_STRING = re.compile(
    rf"(?P<sign>[-+])?(?:(?:(?P<whole>\d+) )?(?P<num>\d+)/(?P<den>\d+)|(?P<dec>{_DEC}))"
)


def speakable_number(value: str) -> str:
    """The one reading of a number string: '1,250', '-5', '0.25', '3/4', '2 1/2'."""
    if not isinstance(value, str):
        raise TypeError(f"speakable_number expects a str, got {type(value).__name__}")
    match = _NUMBER_STRING.fullmatch(value.strip())
    if match is None:
        raise ValueError(f"not a number string: {value!r}")
    sign = match.group("sign") or ""
    if match.group("dec") is not None:  # number_to_words says "minus" but no "plus"
        words = _decimal_words(sign.replace("+", "") + match.group("dec"))
        return ("plus " if sign == "+" else "") + words
    numerator, denominator = int(match.group("num")), int(match.group("den"))
    if denominator < 2:
        raise ValueError(f"fraction needs a denominator of 2 or more: {value!r}")
    words = _fraction_words(numerator, denominator)
    if match.group("whole") is not None:
        words = f"{number_to_words(match.group('whole'))} and {words}"
    return {"-": "minus ", "+": "plus ", "": ""}[sign] + words


# --- pass machinery --------------------------------------------------------------------------


def _wrapped(match: re.Match, words: str) -> str:
    """`words` in markers, with a space only where it would touch a word or another amount."""
    text, start, end = match.string, match.start(), match.end()
    left = " " if start > 0 and (text[start - 1].isalnum() or text[start - 1] == CLOSE) else ""
    right = " " if end < len(text) and (text[end].isalnum() or text[end] == OPEN) else ""
    return f"{left}{OPEN}{words}{CLOSE}{right}"


def _sub(pattern: re.Pattern, say: Callable[[re.Match], str | None], text: str) -> str:
    """Replace each match by what `say` returns; None, or a number too large to say in words,
    keeps the match as written for the later passes (the last one reads digits one by one)."""

    def replace(match: re.Match) -> str:
        try:
            words = say(match)
        except ValueError:
            words = None
        return match.group() if words is None else _wrapped(match, words)

    return pattern.sub(replace, text)


def _ends_sentence(match: re.Match) -> bool:
    """Whether an abbreviation's final '.' ("5 in.", "7 p.m.") is also the sentence's period."""
    rest = match.string[match.end() :]
    return rest == "" or re.match(r" [A-Z]", rest) is not None


def _sign_words(match: re.Match) -> str:
    return "minus " if match.group("sign") else ""


# --- passes, in the order they run -----------------------------------------------------------

_CLOCK = re.compile(
    r"(?<![\d.,:])(?P<hour>\d{1,2})(?::(?P<minute>\d{2})(?![\d:]))?"
    r"(?: ?(?P<half>[AaPp]\.?[Mm]\.?)(?![A-Za-z]))?"
)


def _clock(match: re.Match) -> str | None:
    hour, minute, half = match.group("hour", "minute", "half")
    if minute is None and half is None:
        return None
    h, m = int(hour), int(minute or 0)
    if m > 59 or h > 24 or (half and not 1 <= h <= 12):
        return None
    words = number_to_words(h)
    if m == 0:
        words += "" if half or minute is None else " o'clock"
    else:
        words += f" oh {ONES[m]}" if m < 10 else f" {number_to_words(m)}"
    if half:
        words += f" {half[0].lower()} m" + (
            "." if half.endswith(".") and _ends_sentence(match) else ""
        )
    return words


_ORDINAL = re.compile(rf"(?<![\d.])(?P<n>{_INT})(?i:st|nd|rd|th)(?![A-Za-z])")
_DECADE = re.compile(r"(?<![\d.,])(?P<century>1\d|20)(?P<decade>\d0)s(?![A-Za-z])")


def _decade(match: re.Match) -> str:
    """'1990s' -> 'nineteen nineties'."""
    century, decade = int(match.group("century")), int(match.group("decade"))
    if decade == 0:
        words = "two thousand" if century == 20 else number_to_words(century) + " hundred"
    else:
        words = f"{number_to_words(century)} {number_to_words(decade)}"
    return words[:-1] + "ies" if words.endswith("y") else words + "s"


_MONEY = re.compile(
    rf"{_LEAD}(?P<currency>[$£€])(?P<sign2>-)? ?(?P<num>{_DEC})"
    rf"(?: (?P<scale>thousand|million|billion|trillion)\b|(?P<abbr>[kKmMbB]|bn|mn)(?![A-Za-z]))?{_PER}"
)
_MONEY_AFTER = re.compile(rf"{_LEAD}(?P<num>{_DEC})(?P<currency>[$£€])(?![\d])")
_CENTS = re.compile(rf"{_LEAD}(?P<num>{_DEC}) ?¢")


def _money_words(number: str, currency: str, scale: str | None) -> str:
    """'$5.50' -> 'five dollars and fifty cents', '$0.75' -> 'seventy-five cents'."""
    one, many, sub_one, sub_many = _CURRENCIES[currency]
    whole, _, fraction = number.replace(",", "").partition(".")
    if scale or len(fraction) > 2:
        return " ".join(filter(None, [_decimal_words(number), scale, many]))
    units, cents = int(whole or "0"), int(fraction.ljust(2, "0")) if fraction else 0
    parts = []
    if units or not cents:
        parts.append(f"{_decimal_words(str(units))} {one if units == 1 else many}")
    if cents:
        parts.append(f"{number_to_words(cents)} {sub_one if cents == 1 else sub_many}")
    return " and ".join(parts)


def _per(match: re.Match) -> str:
    """' per hour' for '/h', ' per day' for '/day'; a lone letter is a variable ('/x')."""
    word = match.group("per")
    if word is None:
        return ""
    unit = _unit_names(word)
    if unit is not None:
        return f" per {unit[0]}"
    return f" per {word}" if len(word) > 1 else f" divided by {word}"


def _money(match: re.Match) -> str:
    abbr = match.group("abbr")
    scale = match.group("scale") or (_SCALE_ABBREVIATIONS[abbr.lower()] if abbr else None)
    negative = match.group("sign") or match.group("sign2")
    words = _money_words(match.group("num"), match.group("currency"), scale)
    return ("minus " if negative else "") + words + _per(match)


def _money_after(match: re.Match) -> str:
    return _sign_words(match) + _money_words(match.group("num"), match.group("currency"), None)


def _cents(match: re.Match) -> str:
    number = match.group("num")
    name = "cent" if Decimal(number.replace(",", "")) == 1 else "cents"
    return f"{_sign_words(match)}{_decimal_words(number)} {name}"


_PERCENT = re.compile(rf"{_LEAD}(?P<num>{_DEC}) ?%")


def _percent(match: re.Match) -> str:
    return f"{_sign_words(match)}{_decimal_words(match.group('num'))} percent"


_UNIT_ALTERNATIVES = "|".join(re.escape(u) for u in sorted(_UNITS, key=len, reverse=True))
_UNIT = re.compile(
    rf"{_LEAD}(?P<num>{_AMOUNT})(?P<sep>[ -]?)(?P<unit>{_UNIT_ALTERNATIVES})(?![A-Za-z0-9²³]){_PER}",
    re.IGNORECASE,
)
_FEET_INCHES = re.compile(r"(?<![\d.])(?P<feet>\d+)' ?(?P<inches>\d+)\"")


def _inside_quotation(match: re.Match) -> bool:
    """'5"' is inches unless an open quotation mark precedes it ('she said "I have 5"')."""
    before = match.string[: match.start("unit")]
    return len(re.findall(r'(?<!\d)"', before)) % 2 == 1


def _unit(match: re.Match) -> str | None:
    number, unit = match.group("num"), match.group("unit")
    names = _unit_names(unit)
    if names is None or (unit == '"' and (match.group("sep") or _inside_quotation(match))):
        return None
    singular, plural = names
    amount = _sign_words(match) + speakable_number(number)  # ValueError for "5/1 km": kept
    if match.group("sep") == "-":  # "a 5-km race" -> "a five-kilometer race"
        words = f"{amount}-{singular}"
    elif re.fullmatch(r"\d+/\d+", number) and _is_proper(number):  # "three quarters of a mile"
        article = "an" if singular[0] in "aeiou" or singular.startswith("hour") else "a"
        words = f"{amount} of {article} {singular}"
    elif "/" not in number and Decimal(number.replace(",", "")) == 1:
        words = f"{amount} {singular}"
    else:
        words = f"{amount} {plural}"
    if unit.lower() == "in." and _ends_sentence(match):
        words += "."
    return words + _per(match)


def _feet_inches(match: re.Match) -> str:
    feet, inches = int(match.group("feet")), int(match.group("inches"))
    return f"{number_to_words(feet)} {'foot' if feet == 1 else 'feet'} " + (
        f"{number_to_words(inches)} {'inch' if inches == 1 else 'inches'}"
    )


_FRACTION = re.compile(rf"{_LEAD}(?P<num>(?:\d+ )?\d+/\d+){_FRACTION_END}")


def _fraction(match: re.Match) -> str | None:
    """Proper fractions only: '3/4' is three quarters, '48/2' is left to the operator pass."""
    number = match.group("num")
    if not _is_proper(number.split(" ")[-1]):
        return None
    return _sign_words(match) + speakable_number(number)


_EXPRESSION_PARENS = re.compile(rf"\((?P<body>(?:[\d .,+\-*/×x÷^²³]|{OPEN}[^{CLOSE}]*{CLOSE})+)\)")
_OPERAND = re.compile(
    rf"\s*(?P<sign>[-+]\s*)?(?:{OPEN}(?P<amount>[^{CLOSE}]*){CLOSE}|(?P<number>{_DEC}))"
    r"(?P<power>[²³])?"
)
_BINARY = re.compile(r"\s*(?P<op>[+\-*/×x÷^])")
_GROUP_NAMES = {
    "+": "sum", "-": "difference", "*": "product", "×": "product", "x": "product",
    "/": "quotient", "÷": "quotient",
}  # fmt: skip
_GROUP_PHRASE = re.compile(r"the (?:sum|difference|product|quotient) of .+ and .+")
_OPERATOR_BEFORE = re.compile(r"(?:[+\-*/×÷=^<>≤≥≠]|(?<![A-Za-z])x)\s*$")
_OPERATOR_AFTER = re.compile(r"\s*(?:[+\-*/×÷=^<>≤≥≠²³]|x(?![A-Za-z]))")
_ARITHMETIC_AFTER = re.compile(r"\s*(?:[+\-*/×÷^²³]|x(?![A-Za-z]))")  # not "=": no comma
_SCALE_WORD_END = re.compile(r"(?:hundred|thousand|million|billion|trillion)$")


def _operand_words(operand: re.Match) -> str:
    words = operand.group("amount")
    if words is None:
        words = speakable_number(operand.group("number"))
    if operand.group("power"):
        words += " squared" if operand.group("power") == "²" else " cubed"
    sign = (operand.group("sign") or "").strip()
    return {"-": "minus ", "+": "plus ", "": ""}[sign] + words


def _flat_expression(body: str) -> tuple[list[re.Match], list[str]] | None:
    """The operands and operators of a bracket's body, or None if it is not a flat expression."""
    operands, operators, at = [], [], 0
    while (operand := _OPERAND.match(body, at)) is not None:
        operands.append(operand)
        at = operand.end()
        if (operator := _BINARY.match(body, at)) is None:
            return (operands, operators) if body[at:].strip() == "" else None
        operators.append(operator.group("op"))
        at = operator.end()
    return None


def _flat_words(operands: list[re.Match], operators: list[str]) -> str:
    words = [_operand_words(operands[0])]
    for op, operand in zip(operators, operands[1:], strict=True):
        bare = operand.group("number") if not operand.group("sign") else None
        if op == "^" and bare in ("2", "3") and not operand.group("power"):
            words.append("squared" if bare == "2" else "cubed")
        else:
            words += [_OPERATOR_WORDS[op], _operand_words(operand)]
    return " ".join(words)


def _is_simple_operand(words: str) -> bool:
    """Whether `words` can sit in 'the sum of A and B' without a second reading: no 'and'
    of its own ('two and one half', 'five dollars and fifty cents', a nested group)."""
    return " and " not in words and "bracket" not in words


def _group_words(operands: list[re.Match], operators: list[str]) -> str:
    """'the sum of A and B' for one operation on two plain amounts, else 'open bracket ...'."""
    if len(operands) == 1:
        return _operand_words(operands[0])
    first, second = (_operand_words(operand) for operand in operands[:2])
    if (
        len(operators) == 1
        and operators[0] in _GROUP_NAMES
        and _is_simple_operand(first)
        and _is_simple_operand(second)
        and not _SCALE_WORD_END.search(first)
    ):
        return f"the {_GROUP_NAMES[operators[0]]} of {first} and {second}"
    return f"open bracket {_flat_words(operands, operators)} close bracket"


def _expression_parens(match: re.Match) -> str | None:
    """'(3 + 4) x 2' -> 'the sum of three and four, times two', '2(3+4)' -> 'two times the
    sum of three and four'; prose parentheses, '(5)' or '(see 3 above)', stay."""
    text, start, end = match.string, match.start(), match.end()
    parsed = _flat_expression(match.group("body"))
    if parsed is None:
        return None
    operands, operators = parsed
    before, after = text[start - 1 : start], text[end : end + 1]
    times_before = before.isdecimal() or before == CLOSE  # "2(3+4)"; ")(" is the left's
    times_after = after.isdecimal() or after in (OPEN, "(")
    near_operator = _OPERATOR_BEFORE.search(text, 0, start) or _OPERATOR_AFTER.match(text, end)
    words = _group_words(operands, operators)
    nested = _GROUP_PHRASE.fullmatch(words) or words.startswith("open bracket")  # "((3+4))"
    if not (operators or nested or near_operator or times_before or times_after):
        return None
    if _GROUP_PHRASE.fullmatch(words) and (times_after or _ARITHMETIC_AFTER.match(text, end)):
        words += ","  # the phrase ends here: "the sum of twelve and seven, times three"
    left = " times " if times_before else (" " if before.isalnum() or before == ")" else "")
    right = " times " if times_after else (" " if after.isalpha() else "")
    return f"{left}{OPEN}{words}{CLOSE}{right}"


_POWER = re.compile(rf"(?<=[\w{CLOSE})]) ?\^ ?(?P<exponent>[23])(?![\d.])|(?P<superscript>[²³])")
_NUMBER_PER = re.compile(rf"(?<=[\d{CLOSE}]) ?/ ?(?P<per>[A-Za-z]+)(?![\w])")
_OPERATOR = re.compile(r"<=|>=|[≤≥≠+×*÷=^<>/x-]")


def _power(match: re.Match) -> str:
    squared = match.group("exponent") == "2" or match.group("superscript") == "²"
    return "squared" if squared else "cubed"


def _number_per(match: re.Match) -> str | None:
    words = _per(match).strip()
    return None if words.startswith("divided") else words


def _is_operand(char: str) -> bool:
    return char.isalnum() or char in f"(){OPEN}{CLOSE}"


def _operator(match: re.Match) -> str:
    """An operator becomes words when a number stands beside it; 'x' only between numbers,
    '-' only as subtraction (the sign of '-5' is the number pass's, 'a 5-year-old' stays)."""
    text, start, end, op = match.string, match.start(), match.end(), match.group()
    before, after = text[:start].rstrip(), text[end:].lstrip()
    left, right = before[-1:], after[:1]
    left_number = left.isdecimal() or left == CLOSE
    right_number = right.isdecimal() or right == OPEN or (right in "-." and after[1:2].isdecimal())
    if op == "x":
        standalone = not text[start - 1 : start].isalpha() and not text[end : end + 1].isalpha()
        say = standalone and left_number and right_number
    elif op == "-":
        spaced = text[start - 1 : start] == " " and text[end : end + 1] == " "
        say = (left_number and right_number) or (
            spaced and (left_number or right_number) and _is_operand(left) and _is_operand(right)
        )
    else:
        say = left_number or right_number
    if not say:
        return op
    pad_left = " " if start > 0 and text[start - 1] not in " (" else ""
    pad_right = " " if end < len(text) and text[end] != " " else ""
    return f"{pad_left}{_OPERATOR_WORDS[op]}{pad_right}"


_NUMBER = re.compile(rf"(?P<sign>(?<![\w){CLOSE}.])[-+])?(?<![\d.])(?P<num>{_DEC})")


def _number(match: re.Match) -> str:
    return speakable_number((match.group("sign") or "") + match.group("num"))


_DIGIT = re.compile(r"\d")
_UNICODE_MINUS = re.compile(r"−(?=\s?[\d.(])|(?<=[\d)])\s?−")
_EN_DASH_RANGE = re.compile(r"(?<=\d) ?– ?(?=\d)")
_VULGAR_FRACTION = re.compile(rf"(?:(?<=\d) )?[{''.join(_VULGAR)}]")
_RATIO = re.compile(r"(?<=\d):(?=\d)")


def _ascii_fraction(match: re.Match) -> str:
    """'2½' -> '2 1/2', '½ cup' -> '1/2 cup'."""
    text, start, end = match.string, match.start(), match.end()
    left = " " if text[start - 1 : start].isdecimal() else ""
    right = " " if text[end : end + 1].isalnum() or text[end : end + 1] in _VULGAR else ""
    return left + _VULGAR[match.group().strip()] + right


def _drop_expression_parens(text: str) -> str:
    for _ in range(8):  # nested parentheses, innermost first
        text, before = (
            _EXPRESSION_PARENS.sub(lambda m: _expression_parens(m) or m.group(), text),
            text,
        )
        if text == before:
            break
    return text


_SENTENCES = re.compile(rf"[.?!][\"')\]{CLOSE}]*$")  # "$5 + $3 = $8" is a fragment: no capital
_AMOUNT_OPENS_SENTENCE = re.compile(rf"(?:^|(?P<word>[\w.]*)[.?!]\s+){OPEN}(?P<letter>[a-z])")
_ABBREVIATIONS = {"approx", "ca", "e.g", "eq", "etc", "fig", "i.e", "no", "vs"}  # "approx. 5"


def _capitalise_sentence_starts(text: str) -> str:
    """'7792÷8 is how much?' -> 'Seven thousand ...': a sentence written with a leading
    number still starts with a capital once the number is words."""
    if not _SENTENCES.search(text):
        return text

    def upper(match: re.Match) -> str:
        if (match.group("word") or "").lower() in _ABBREVIATIONS:
            return match.group()
        return match.group()[:-1] + match.group("letter").upper()

    return _AMOUNT_OPENS_SENTENCE.sub(upper, text)


def to_speakable(text: str) -> str:
    """Numbers, money, percents, fractions, units, times and operators into words."""
    if not isinstance(text, str):
        raise TypeError(f"to_speakable expects a str, got {type(text).__name__}")
    text = " ".join(text.replace(OPEN, "").replace(CLOSE, "").split())
    text = _UNICODE_MINUS.sub(lambda m: m.group().replace("−", "-"), text)
    text = _EN_DASH_RANGE.sub(" to ", text)  # "5–10": a range
    text = _VULGAR_FRACTION.sub(_ascii_fraction, text)
    text = _sub(_CLOCK, _clock, text)
    text = _RATIO.sub(" to ", text)  # "3:2"; clock times are gone by now
    text = _sub(_ORDINAL, lambda m: _ordinal(int(m.group("n").replace(",", ""))), text)
    text = _sub(_DECADE, _decade, text)
    text = _sub(_MONEY, _money, text)
    text = _sub(_MONEY_AFTER, _money_after, text)
    text = _sub(_CENTS, _cents, text)
    text = _sub(_PERCENT, _percent, text)
    text = _sub(_FEET_INCHES, _feet_inches, text)
    text = _sub(_UNIT, _unit, text)
    text = _sub(_FRACTION, _fraction, text)
    text = _drop_expression_parens(text)
    text = _sub(_POWER, _power, text)
    text = _sub(_NUMBER_PER, _number_per, text)
    text = _OPERATOR.sub(_operator, text)
    text = _sub(_NUMBER, _number, text)
    text = _sub(_DIGIT, lambda m: ONES[int(m.group())], text)  # leftovers such as "1.2.3"
    text = _capitalise_sentence_starts(text)
    return " ".join(text.replace(OPEN, "").replace(CLOSE, "").split())
