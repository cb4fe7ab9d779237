"""Reasoning traces: the silent stream's text for a worked solution, in two styles.

calculator  GSM8K-style annotations, one per step: `<<48/2=24>> <<48+24=72>>`. The
            inference engine computes the text between the last '=' and '>>' itself and
            feeds it in (those tokens are masked from the loss), so the model only has to
            write the expression. Short, but the arithmetic is done by the tool.
scratchpad  column arithmetic the model executes itself, one digit per token (the design
            that took a 4 M model from 0 % to 95 %, see reference/measurements.md). Each
            binary operation gets a header that copies its operands, then one step per
            digit column from the units up, then its result written forwards:

              [48+24]8+4+0=12,4+2+1=07,=72        column: x+y+carry=CD (carry out, digit)
              [150-21]0-1-0=19,5-2-1=02,1-0-0=01,=129      x-y-borrow=BD (borrow out, digit)
              [48*24]8*4+0=32,4*4+3=19,=192;8*2+0=16,4*2+1=09,=960;2+0+0=02,9+6+0=15,1+9+1=11,=1152
              [156/12]1/12=0r1,15/12=1r3,36/12=3r0,=13    (long division: n/d=q r remainder)

            Multiplication runs over the longer operand, one partial product per non-zero
            digit of the shorter one (shifted by trailing zeros), then adds the partials by
            columns. A step with more than one operation first writes its expression
            (`12+3*4:`) so the order of the operations is on the page; later operations
            copy earlier results into their headers. Whole, non-negative numbers only:
            anything else raises UnsupportedTrace.

Both styles end with the last step's result in digits, and every result is written before
a later step uses it.
"""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Callable
from fractions import Fraction

from omni_reasoner.data.problem import Step
from omni_reasoner.format.numbers import canonical

TRACE_STYLES = ("calculator", "scratchpad")
CALC_OPEN = "<<"
CALC_CLOSE = ">>"

_NUMBER = re.compile(r"\d+(?:\.\d*)?|\.\d+")
_MAX_EXPRESSION_CHARS = 200  # bounds the parser's recursion on hostile input
_OPERATORS: dict[type, tuple[str, Callable[[Fraction, Fraction], Fraction]]] = {
    ast.Add: ("+", operator.add),
    ast.Sub: ("-", operator.sub),
    ast.Mult: ("*", operator.mul),
    ast.Div: ("/", operator.truediv),
}


class UnsupportedTrace(ValueError):
    """A trace style cannot render these steps (the pipeline counts and skips the item)."""


def _parse(expression: str) -> ast.expr:
    if len(expression) > _MAX_EXPRESSION_CHARS:
        raise ValueError(f"expression longer than {_MAX_EXPRESSION_CHARS} characters")
    try:
        return ast.parse(expression, mode="eval").body
    except SyntaxError:
        raise ValueError(f"not an arithmetic expression: {expression!r}") from None


def _literal(node: ast.expr, source: str) -> Fraction | None:
    """The exact value of a number literal as written ('0.1' stays 1/10), else None."""
    if not isinstance(node, ast.Constant) or type(node.value) not in (int, float):
        return None
    text = ast.get_source_segment(source, node) or ""
    if not _NUMBER.fullmatch(text):  # rejects 1e5, 1_000, 0x10
        raise ValueError(f"unsupported number {text!r} in {source!r}")
    return Fraction(text)


def _evaluate(node: ast.expr, source: str) -> Fraction:
    value = _literal(node, source)
    if value is not None:
        return value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_evaluate(node.operand, source)
    if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
        left, right = _evaluate(node.left, source), _evaluate(node.right, source)
        if isinstance(node.op, ast.Div) and right == 0:
            raise ValueError(f"division by zero in {source!r}")
        return _OPERATORS[type(node.op)][1](left, right)
    raise ValueError(f"only numbers, + - * / and parentheses are allowed: {source!r}")


def _decimal_text(value: Fraction) -> str:
    """Exact canonical decimal ('2.5', '-3', '0.125'); ValueError if it never terminates."""
    rest, places = value.denominator, 0
    for prime in (2, 5):
        count = 0
        while rest % prime == 0:
            rest //= prime
            count += 1
        places = max(places, count)
    if rest != 1:
        raise ValueError(f"{value} has no finite decimal form")
    scaled = abs(value.numerator * 10**places // value.denominator)
    digits = str(scaled).rjust(places + 1, "0")
    text = f"{digits[:-places]}.{digits[-places:]}".rstrip("0") if places else digits
    return ("-" if value < 0 else "") + text


def evaluate_expression(expression: str) -> str:
    """The canonical value of `expression` (numbers, + - * /, parentheses, unary minus).

    Division is exact: 7/4 gives '1.75'; a result with no finite decimal (1/3) raises
    ValueError, as does anything else in the expression. Never calls eval().
    """
    source = expression.strip()
    return _decimal_text(_evaluate(_parse(source), source))


# ---------------------------------------------------------------- calculator style


def _calculator(steps: list[Step]) -> str:
    annotations = []
    for step in steps:
        expression = "".join(step.expression.split())
        try:
            result = evaluate_expression(expression)
        except ValueError as exc:
            raise UnsupportedTrace(f"calculator cannot compute {step.expression!r}: {exc}") from exc
        _check_result(step, result)
        annotations.append(f"{CALC_OPEN}{expression}={result}{CALC_CLOSE}")
    return " ".join(annotations)


def _check_result(step: Step, computed: str) -> None:
    if canonical(step.result) != computed:
        raise UnsupportedTrace(f"step {step.expression} gives {computed}, not {step.result}")


# ---------------------------------------------------------------- scratchpad style


def _add_columns(rows: list[int]) -> str:
    """Columns of a sum, units first: 'x+y+carry=CD,' each, then '=sum'."""
    width = max(len(str(row)) for row in rows)
    padded = [str(row).rjust(width, "0")[::-1] for row in rows]
    carry, columns = 0, []
    for position in range(width):
        digits = [int(row[position]) for row in padded]
        total = sum(digits) + carry
        if total >= 100:
            raise UnsupportedTrace(f"too many rows to add by columns: {len(rows)}")
        columns.append("+".join(map(str, [*digits, carry])) + f"={total:02d},")
        carry = total // 10
    return "".join(columns) + f"={sum(rows)}"


def _subtract_columns(top: int, bottom: int) -> str:
    """Columns of top - bottom (top >= bottom): 'x-y-borrow=BD,' each, then '=difference'."""
    width = len(str(top))
    top_digits, bottom_digits = str(top)[::-1], str(bottom).rjust(width, "0")[::-1]
    borrow, columns = 0, []
    for x, y in zip(top_digits, bottom_digits, strict=True):
        difference = int(x) - int(y) - borrow
        borrow_out = 1 if difference < 0 else 0
        columns.append(f"{x}-{y}-{borrow}={borrow_out}{difference + 10 * borrow_out},")
        borrow = borrow_out
    return "".join(columns) + f"={top - bottom}"


def _multiply_columns(a: int, b: int) -> str:
    """One partial product per non-zero digit of the shorter operand, then their sum."""
    top, multiplier = (a, b) if len(str(a)) >= len(str(b)) else (b, a)
    parts, partials = [], []
    for shift, digit in enumerate(int(d) for d in reversed(str(multiplier))):
        if digit == 0:
            continue
        carry, columns = 0, []
        for x in reversed(str(top)):
            product = int(x) * digit + carry
            columns.append(f"{x}*{digit}+{carry}={product:02d},")
            carry = product // 10
        partial = top * digit * 10**shift
        partials.append(partial)
        parts.append("".join(columns) + f"={partial}")
    if not partials:
        return "=0"
    if len(partials) > 1:
        parts.append(_add_columns(partials))
    return ";".join(parts)


def _divide_columns(dividend: int, divisor: int) -> str:
    """Long division, one dividend digit per step: 'n/d=qRr,' each, then '=quotient'."""
    if divisor == 0:
        raise UnsupportedTrace("division by zero")
    remainder, columns = 0, []
    for digit in str(dividend):
        current = remainder * 10 + int(digit)
        quotient_digit, remainder = divmod(current, divisor)
        columns.append(f"{current}/{divisor}={quotient_digit}r{remainder},")
    if remainder:
        raise UnsupportedTrace(f"{dividend}/{divisor} is not a whole number")
    return "".join(columns) + f"={dividend // divisor}"


def _operation(a: int, symbol: str, b: int) -> tuple[str, int]:
    if symbol == "+":
        body, result = _add_columns([a, b]), a + b
    elif symbol == "-":
        if a < b:
            raise UnsupportedTrace(f"negative intermediate result {a}-{b}")
        body, result = _subtract_columns(a, b), a - b
    elif symbol == "*":
        body, result = _multiply_columns(a, b), a * b
    else:
        body, result = _divide_columns(a, b), a // b  # raises first when b == 0
    return f"[{a}{symbol}{b}]{body}", result


def _whole(value: Fraction, source: str) -> int:
    if value.denominator != 1 or value < 0:
        raise UnsupportedTrace(f"scratchpad needs whole non-negative numbers: {source!r}")
    return int(value)


def _columns_for(node: ast.expr, source: str, out: list[str]) -> int:
    """Appends the operations of `node` in evaluation order; returns its value."""
    try:
        value = _literal(node, source)
    except ValueError as exc:
        raise UnsupportedTrace(str(exc)) from exc
    if value is not None:
        return _whole(value, source)
    if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
        left = _columns_for(node.left, source, out)
        right = _columns_for(node.right, source, out)
        text, result = _operation(left, _OPERATORS[type(node.op)][0], right)
        out.append(text)
        return result
    raise UnsupportedTrace(f"scratchpad cannot render {source!r}")


def _scratchpad(steps: list[Step]) -> str:
    parts = []
    for step in steps:
        expression = "".join(step.expression.split())
        try:
            node = _parse(expression)
        except ValueError as exc:
            raise UnsupportedTrace(str(exc)) from exc
        operations: list[str] = []
        value = _columns_for(node, expression, operations)
        _check_result(step, str(value))
        if len(operations) > 1:
            parts.append(f"{expression}:")
        parts.extend(operations or [f"={value}"])
    return " ".join(parts)


def render_trace(steps: list[Step], style: str) -> str:
    """The reasoning text for `steps` in `style`; UnsupportedTrace if it cannot be written."""
    if style not in TRACE_STYLES:
        raise ValueError(f"unknown trace style {style!r}; expected one of {TRACE_STYLES}")
    if not steps:
        raise UnsupportedTrace("no steps to render")
    return _calculator(steps) if style == "calculator" else _scratchpad(steps)
