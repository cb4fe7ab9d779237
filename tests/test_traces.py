import ast
import random
import re
from fractions import Fraction

import pytest

from omni_reasoner.data.problem import Step
from omni_reasoner.data.traces import (
    CALC_CLOSE,
    CALC_OPEN,
    UnsupportedTrace,
    evaluate_expression,
    render_trace,
)

# ---------------------------------------------------------------- helpers


def random_expression(rng: random.Random, depth: int = 3) -> tuple[str, int]:
    """A random expression whose every intermediate result is a whole number >= 0."""
    while True:
        tree = _random_tree(rng, depth)
        value = _whole_value(tree)
        if value is not None:
            return ast.unparse(tree), value


def _random_tree(rng: random.Random, depth: int) -> ast.expr:
    if depth == 0 or rng.random() < 0.3:
        return ast.Constant(
            rng.choice([rng.randint(0, 9), rng.randint(10, 99), rng.randint(100, 9999)])
        )
    op = rng.choice([ast.Add(), ast.Sub(), ast.Mult(), ast.Div()])
    return ast.BinOp(_random_tree(rng, depth - 1), op, _random_tree(rng, depth - 1))


def _whole_value(node: ast.expr) -> int | None:
    if isinstance(node, ast.Constant):
        return node.value
    left, right = _whole_value(node.left), _whole_value(node.right)
    if left is None or right is None:
        return None
    if isinstance(node.op, ast.Add):
        return left + right
    if isinstance(node.op, ast.Sub):
        return left - right if left >= right else None
    if isinstance(node.op, ast.Mult):
        return left * right
    return left // right if right and left % right == 0 else None


def last_number(text: str) -> str:
    return re.findall(r"\d+(?:\.\d+)?", text)[-1]


def _columns(body: str, pattern: str) -> tuple[list[tuple[str, ...]], str]:
    """Splits 'col,col,...,=R' into the matched columns and R."""
    head, _, result = body.rpartition(",=")
    columns = [re.fullmatch(pattern, column) for column in head.split(",")]
    assert all(columns), f"malformed column in {body!r}"
    return [m.groups() for m in columns], result  # type: ignore[union-attr]


def _check_addition(rows: list[int], body: str) -> int:
    columns, result = _columns(body, r"(\d(?:\+\d)+)=(\d)(\d)")
    width = max(len(str(row)) for row in rows)
    assert len(columns) == width
    padded = [str(row).rjust(width, "0")[::-1] for row in rows]
    carry, digits = 0, []
    for position, (terms, high, low) in enumerate(columns):
        values = [int(t) for t in terms.split("+")]
        assert values[:-1] == [int(row[position]) for row in padded], "column copies the digits"
        assert values[-1] == carry, "carry in is the previous carry out"
        assert sum(values) == 10 * int(high) + int(low)
        carry, digits = int(high), [low, *digits]
    expected = (str(carry) if carry else "") + "".join(digits)
    assert result == (expected.lstrip("0") or "0") == str(sum(rows))
    return int(result)


def _check_subtraction(a: int, b: int, body: str) -> int:
    columns, result = _columns(body, r"(\d)-(\d)-(\d)=(\d)(\d)")
    top, bottom = str(a)[::-1], str(b).rjust(len(str(a)), "0")[::-1]
    assert len(columns) == len(top)
    borrow, digits = 0, []
    for position, (x, y, borrow_in, borrow_out, digit) in enumerate(columns):
        assert (x, y) == (top[position], bottom[position])
        assert int(borrow_in) == borrow
        assert int(x) - int(y) - borrow == int(digit) - 10 * int(borrow_out)
        borrow, digits = int(borrow_out), [digit, *digits]
    assert borrow == 0
    assert result == ("".join(digits).lstrip("0") or "0") == str(a - b)
    return int(result)


def _check_multiplication(a: int, b: int, body: str) -> int:
    if body == "=0":
        assert a * b == 0
        return 0
    top, multiplier = (a, b) if len(str(a)) >= len(str(b)) else (b, a)
    parts = body.split(";")
    nonzero = [(shift, int(d)) for shift, d in enumerate(reversed(str(multiplier))) if d != "0"]
    partials = []
    for (shift, digit), part in zip(nonzero, parts, strict=False):
        columns, result = _columns(part, r"(\d)\*(\d)\+(\d)=(\d)(\d)")
        assert [x for x, *_ in columns] == list(reversed(str(top)))
        carry = 0
        for x, d, carry_in, high, low in columns:
            assert int(d) == digit and int(carry_in) == carry
            assert int(x) * digit + carry == 10 * int(high) + int(low)
            carry = int(high)
        assert int(result) == top * digit * 10**shift
        partials.append(int(result))
    if len(partials) == 1:
        assert len(parts) == 1
        return partials[0]
    assert len(parts) == len(partials) + 1
    return _check_addition(partials, parts[-1])


def _check_division(a: int, b: int, body: str) -> int:
    columns, result = _columns(body, r"(\d+)/(\d+)=(\d)r(\d+)")
    assert len(columns) == len(str(a))
    remainder, quotient = 0, ""
    for digit, (current, divisor, q, r) in zip(str(a), columns, strict=True):
        assert int(current) == remainder * 10 + int(digit), "bring down the next digit"
        assert int(divisor) == b and int(q) * b + int(r) == int(current) and int(r) < b
        remainder, quotient = int(r), quotient + q
    assert remainder == 0
    assert result == (quotient.lstrip("0") or "0")
    return int(result)


CHECKERS = {
    "+": lambda a, b, body: _check_addition([a, b], body),
    "-": _check_subtraction,
    "*": _check_multiplication,
    "/": _check_division,
}
OPERATION = re.compile(r"\[(\d+)([-+*/])(\d+)\](\S+)")


def verify_scratchpad(text: str, steps: list[Step]) -> None:
    """Every operation is right column by column and only uses numbers already on the page."""
    literals = {n for step in steps for n in re.findall(r"\d+", step.expression)}
    written: set[str] = set()
    for token in text.split(" "):
        if token.endswith(":"):
            assert token[:-1] in {step.expression.replace(" ", "") for step in steps}
            continue
        if token.startswith("="):
            written.add(token[1:])
            continue
        match = OPERATION.fullmatch(token)
        assert match, f"unexpected token {token!r}"
        a, op, b, body = match.groups()
        assert a in literals | written and b in literals | written, f"{token} uses unseen numbers"
        result = CHECKERS[op](int(a), int(b), body)
        assert result == evaluate_whole(f"{a}{op}{b}")
        written.add(str(result))


def evaluate_whole(expression: str) -> int:
    return int(evaluate_expression(expression))


# ---------------------------------------------------------------- evaluate_expression


@pytest.mark.parametrize(
    "expression, value",
    [
        ("48/2", "24"), ("7/4", "1.75"), ("1/8", "0.125"), ("0.1+0.2", "0.3"), ("2+3*4", "14"),
        ("(2+3)*4", "20"), ("-3*2", "-6"), ("2--3", "5"), ("10-2-3", "5"), ("100/10/5", "2"),
        ("1.50*2", "3"), (" 12 + 7 ", "19"), (".5*4", "2"), ("(1/3)*3", "1"),
        ("123456789*987654321", "121932631112635269"), ("1/1024", "0.0009765625"),
    ],
)  # fmt: skip
def test_evaluate_expression(expression: str, value: str) -> None:
    assert evaluate_expression(expression) == value


@pytest.mark.parametrize(
    "expression",
    ["1/3", "2/7", "1/0", "2**3", "7//2", "7%2", "x+1", "abs(-1)", "1e5", "1_000+1", "0x10",
     "1,000", "True+1", "", "3 +", "1<2", "'a'*3", "__import__('os')", "1" + "+1" * 150],
)  # fmt: skip
def test_evaluate_expression_rejects(expression: str) -> None:
    with pytest.raises(ValueError):
        evaluate_expression(expression)


def test_evaluate_expression_matches_exact_arithmetic() -> None:
    rng = random.Random(0)
    for _ in range(300):
        expression, value = random_expression(rng)
        assert evaluate_expression(expression) == str(value)
    # decimals: compare against Fractions built from the same literals
    for _ in range(100):
        a, b = Fraction(rng.randint(1, 9999), 100), Fraction(rng.randint(1, 99), 10)
        text = f"{float(a):.2f}*{float(b):.1f}+{float(a):.2f}"
        assert Fraction(evaluate_expression(text)) == a * b + a


# ---------------------------------------------------------------- render_trace


def test_calculator_format() -> None:
    steps = [Step("48 / 2", "24", "clips in May"), Step("48+24", "72")]
    trace = render_trace(steps, "calculator")
    assert trace == "<<48/2=24>> <<48+24=72>>"
    annotations = re.findall(re.escape(CALC_OPEN) + r"(.*?)" + re.escape(CALC_CLOSE), trace)
    assert [a.rpartition("=")[2] for a in annotations] == ["24", "72"]


def test_calculator_keeps_decimals() -> None:
    assert render_trace([Step("2.5*3", "7.5"), Step("7.5/2", "3.75")], "calculator") == (
        "<<2.5*3=7.5>> <<7.5/2=3.75>>"
    )


def test_scratchpad_examples() -> None:
    assert render_trace([Step("48+24", "72")], "scratchpad") == "[48+24]8+4+0=12,4+2+1=07,=72"
    assert render_trace([Step("150-21", "129")], "scratchpad") == (
        "[150-21]0-1-0=19,5-2-1=02,1-0-0=01,=129"
    )
    assert render_trace([Step("48*24", "1152")], "scratchpad") == (
        "[48*24]8*4+0=32,4*4+3=19,=192;8*2+0=16,4*2+1=09,=960;2+0+0=02,9+6+0=15,1+9+1=11,=1152"
    )
    assert render_trace([Step("156/12", "13")], "scratchpad") == (
        "[156/12]1/12=0r1,15/12=1r3,36/12=3r0,=13"
    )
    assert render_trace([Step("12+3*4", "24")], "scratchpad") == (
        "12+3*4: [3*4]3*4+0=12,=12 [12+12]2+2+0=04,1+1+0=02,=24"
    )


def test_scratchpad_multiplies_by_the_shorter_operand_and_skips_zero_digits() -> None:
    trace = render_trace([Step("7*483", "3381")], "scratchpad")
    assert trace.startswith("[7*483]3*7+0=21,")
    assert trace.count(";") == 0
    assert render_trace([Step("48*20", "960")], "scratchpad") == "[48*20]8*2+0=16,4*2+1=09,=960"
    assert render_trace([Step("48*0", "0")], "scratchpad") == "[48*0]=0"


def test_both_styles_end_with_the_value_of_random_expressions() -> None:
    rng = random.Random(1)
    for _ in range(300):
        expression, value = random_expression(rng)
        steps = [Step(expression, str(value))]
        for style in ("calculator", "scratchpad"):
            trace = render_trace(steps, style)
            assert last_number(trace) == evaluate_expression(expression), (style, trace)
        verify_scratchpad(render_trace(steps, "scratchpad"), steps)


def test_multi_step_results_are_written_before_they_are_used() -> None:
    rng = random.Random(2)
    for _ in range(100):
        steps, value = [], rng.randint(1, 500)
        steps.append(Step(f"{value}*{rng.randint(2, 12)}", ""))
        for _ in range(rng.randint(1, 3)):
            previous = int(evaluate_expression(steps[-1].expression))
            steps[-1] = Step(steps[-1].expression, str(previous))
            steps.append(Step(f"{previous}+{rng.randint(0, 999)}", ""))
        final = evaluate_expression(steps[-1].expression)
        steps[-1] = Step(steps[-1].expression, final)
        for style in ("calculator", "scratchpad"):
            trace = render_trace(steps, style)
            assert last_number(trace) == final
            opening = "[" if style == "scratchpad" else CALC_OPEN
            for earlier, later in zip(steps, steps[1:], strict=False):
                written = re.search(rf"={earlier.result}(?!\d)", trace)
                used = trace.index(opening + later.expression)
                assert written and written.start() < used, (style, trace)
        verify_scratchpad(render_trace(steps, "scratchpad"), steps)


@pytest.mark.parametrize(
    "steps",
    [
        [Step("2.5*2", "5")],  # decimals
        [Step("7/2", "3.5")],  # not a whole quotient
        [Step("3-5", "-2")],  # negative result
        [Step("10-(3-5)", "12")],  # negative intermediate result
        [Step("-3+5", "2")],  # negative number
        [Step("5/0", "0")],
        [Step("48+24", "73")],  # wrong result
        [Step("48 x 2", "96")],  # not an expression
        [],
    ],
)
def test_scratchpad_unsupported(steps: list[Step]) -> None:
    with pytest.raises(UnsupportedTrace):
        render_trace(steps, "scratchpad")


@pytest.mark.parametrize(
    "steps", [[Step("1/3", "0.33")], [Step("48+24", "73")], [Step("5/0", "0")], []]
)
def test_calculator_unsupported(steps: list[Step]) -> None:
    with pytest.raises(UnsupportedTrace):
        render_trace(steps, "calculator")


def test_unknown_style() -> None:
    with pytest.raises(ValueError, match="'cot'.*calculator.*scratchpad") as info:
        render_trace([Step("1+1", "2")], "cot")
    assert not isinstance(info.value, UnsupportedTrace)  # a caller bug, not a data problem


@pytest.mark.parametrize(
    "wrong",
    [
        "[48+24]8+4+0=12,4+2+0=06,=72",  # dropped carry
        "[48+24]8+4+0=12,4+2+1=07,=73",  # wrong result
        "[150-21]0-1-0=19,5-2-0=05,1-0-0=01,=159",  # forgot the borrow
        "[48*24]8*4+0=32,4*4+3=19,=192;8*2+0=16,4*2+1=09,=96;2+6+0=08,9+9+0=18,1+0+1=02,=288",
        "[156/12]1/12=0r1,15/12=1r3,36/12=2r12,=12",  # remainder not below the divisor
        "[48+25]8+5+0=13,4+2+1=07,=73",  # operand never on the page
    ],
)
def test_verifier_catches_wrong_scratchpads(wrong: str) -> None:
    steps = [
        Step("48+24", "72"),
        Step("150-21", "129"),
        Step("48*24", "1152"),
        Step("156/12", "13"),
    ]
    with pytest.raises(AssertionError):
        verify_scratchpad(wrong, steps)
