"""scripts/make_results.py: the results page is computed from eval JSON files, never typed."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CATEGORIES = ["arithmetic_short", "arithmetic_long", "single_step", "multi_step"]


def _result(schedule: str, split: str, accuracy: float, ttfs: float, per_category: dict) -> dict:
    return {
        "schedule": schedule,
        "set": split,
        "n": 200,
        "accuracy": accuracy,
        "by_category": {c: {"n": 50, "accuracy": per_category.get(c, 0.5)} for c in CATEGORIES},
        "mean_spoken_words": 15.0,
        "mean_reasoning_tokens": 20.0,
        "median_tokens_before_first_spoken": 0.0 if schedule != "think-first" else 16.0,
        "latency": {"median_time_to_first_spoken_s": ttfs, "median_total_s": 0.1},
        "drift_rate": 0.0,
    }


def _run(
    study: Path,
    name: str,
    schedule: str,
    results: list[dict],
    tier: str | None,
    data: str = "data/study-calc",
    trace_style: str = "calculator",
) -> None:
    run = study / name
    run.mkdir(parents=True)
    report = {
        "data": data,
        "model_meta": {"trace_style": trace_style, "examples_seen": 22400},
        "results": results,
    }
    if tier:
        report["heldout_phrasing_tier"] = tier
    (run / "eval.json").write_text(json.dumps(report))
    lines = [{"examples_seen": n, "eval": {"accuracy": a}} for n, a in ((11200, 0.1), (22400, 0.4))]
    (run / "log.jsonl").write_text("\n".join(json.dumps(x) for x in lines) + "\n")


def _make_page(tmp_path: Path, out: Path, *studies: Path) -> str:
    """scripts/make_results.py on these study folders (no default model); the page's text."""
    folders = [arg for study in studies for arg in ("--study", str(study))]
    subprocess.run(
        [sys.executable, str(ROOT / "scripts/make_results.py"), *folders,
         "--default", str(tmp_path / "none"), "--out", str(out)],
        check=True, capture_output=True,
    )  # fmt: skip
    return out.read_text()


def test_study_tables_findings_and_plot(tmp_path: Path) -> None:
    study = tmp_path / "study"
    _run(
        study,
        "a--think-first",
        "think-first",
        [
            _result("think-first", "test", 0.60, 0.035, {}),
            _result("think-first", "heldout_phrasing", 0.30, 0.035, {}),
        ],
        tier=None,  # built before the test tier existed: its held-out set is the dev tier
    )
    _run(
        study,
        "a--interleave",
        "interleave:2:8",
        [_result("interleave:2:8", "test", 0.59, 0.005, {})],
        tier="test",
    )
    _run(
        study,
        "a--answer-only",
        "answer-only",
        [_result("answer-only", "test", 0.05, 0.004, {"multi_step": 0.0, "arithmetic_long": 0.5})],
        tier="test",
    )
    out = tmp_path / "docs" / "results.md"
    page = _make_page(tmp_path, out, study)
    assert "| test | `think-first` | 200 | **60.0** |" in page
    assert "| valid_phrasing (dev tier) | `think-first` |" in page  # labelled by its tier
    assert "`interleave:2:8` vs `think-first` on `test`: -1.0 points (within 2 points)" in page
    assert "is 7.0x this schedule's" in page
    assert "`answer-only` vs `think-first` on `test`: -55.0 points (below)" in page
    # multi-step: both others beat answer-only's 0 %; long arithmetic: neither beats its 50 %
    assert (
        "`answer-only` on multi_step: 0.0%; more than 5 points above it: `interleave:2:8`" in page
    )
    assert "`answer-only` on arithmetic_long: 50.0%; more than 5 points above it: none" in page
    assert "11200: 10.0%, 22400: 40.0%" in page
    assert (out.parent / "study-study-calc.png").stat().st_size > 1000


def test_each_study_folder_gets_its_own_table_at_its_own_budget(tmp_path: Path) -> None:
    """Two studies of the same dataset at two budgets are never mixed into one table."""
    small, large = tmp_path / "study", tmp_path / "study-big"
    for study, accuracy in ((small, 0.2), (large, 0.8)):
        for schedule in ("think-first", "interleave:2:8"):
            result = _result(schedule, "test", accuracy, 0.01, {})
            _run(study, f"a--{schedule.replace(':', '_')}", schedule, [result], tier="test")
    lines = [{"examples_seen": n, "eval": {"accuracy": 0.7}} for n in (25600, 51200)]
    for run in large.iterdir():
        (run / "log.jsonl").write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    out = tmp_path / "docs" / "results.md"
    page = _make_page(tmp_path, out, small, large)
    assert "calculator`, 22400 training problems per run" in page
    assert "calculator`, 51200 training problems per run" in page
    assert page.count("| test | `think-first` | 200 |") == 2
    assert page.index("**20.0**") < page.index("**80.0**")  # each table holds its own runs
    assert (out.parent / "study-big-study-calc.png").is_file()


def test_schedules_are_compared_item_by_item_on_the_same_questions() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_results", ROOT / "scripts/make_results.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    def items(correct):
        return {"items": [{"id": i, "correct": c} for i, c in enumerate(correct)]}

    # 9 items right only under the first, 1 only under the second: a sign test on 10 items
    a = items([True] * 9 + [False] + [True] * 5)
    b = items([False] * 9 + [True] + [True] * 5)
    assert module.paired(a, b) == (
        ", 9 right only here and 1 only under think-first (McNemar p = 0.021)"
    )
    assert module.paired(a, a).endswith("(McNemar p = 1.000)")
    assert module.paired({}, b) == ""  # written before reports kept their items


def test_a_schedule_on_both_trace_styles_is_compared_item_by_item(tmp_path: Path) -> None:
    study = tmp_path / "study"
    for style, data, accuracy, correct in (
        ("calculator", "data/calc", 0.9, [True] * 8 + [False] * 2),
        ("scratchpad", "data/pad", 0.6, [True] * 5 + [False] * 3 + [True] * 2),
    ):
        for schedule in ("think-first", "interleave:2:8"):
            result = _result(schedule, "test", accuracy, 0.01, {})
            result["items"] = [{"id": i, "correct": c} for i, c in enumerate(correct)]
            name = f"{style}--{schedule.replace(':', '_')}"
            _run(study, name, schedule, [result], "test", data=data, trace_style=style)
    out = tmp_path / "docs" / "results.md"
    page = _make_page(tmp_path, out, study)
    assert "`data/calc`: trace style `calculator`" in page
    assert "`data/pad`: trace style `scratchpad`" in page
    assert f"### Trace styles side by side (`{study}`)" in page
    assert (
        "- `think-first`: `scratchpad` 60.0 % vs `calculator` 90.0 %, 2 right only here and 3 "
        "only under calculator (McNemar p = 1.000)"
    ) in page
    assert "- `interleave:2:8`: `scratchpad` 60.0 %" in page
