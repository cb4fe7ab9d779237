"""Regenerate docs/results.md from the study's and the default model's eval JSON files.

    .venv/bin/python scripts/make_results.py [--study docs/study ...] [--default src/omni_reasoner/checkpoints/default]

Every number in the page comes from those files; nothing is typed in by hand.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from omni_reasoner.eval.paired import mcnemar_p

CATEGORIES = ["arithmetic_short", "arithmetic_long", "single_step", "multi_step"]


def pct(x) -> str:
    return "-" if x is None else f"{100 * x:.1f}"


def num(x, digits: int = 1) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


def result_rows(report: dict) -> list[str]:
    rows = []
    for r in report["results"]:
        cats = [pct(r["by_category"].get(c, {}).get("accuracy")) for c in CATEGORIES]
        lat = r["latency"]
        rows.append(
            f"| {r['set']} | `{r['schedule']}` | {r['n']} | **{pct(r['accuracy'])}** | {' | '.join(cats)} | "
            f"{num(r['mean_spoken_words'])} | {num(r['mean_reasoning_tokens'])} | {num(r['median_tokens_before_first_spoken'])} | "
            f"{num(lat['median_time_to_first_spoken_s'], 3)} | {num(lat['median_total_s'], 3)} | {num(r['drift_rate'], 3)} |"
        )
    return rows


COLUMNS = [
    "set", "schedule", "n", "acc %", *CATEGORIES, "spoken words", "reasoning tokens",
    "tokens before 1st spoken (median)", "time to 1st spoken s (median, batch 1)", "total s (median)", "drift",
]  # fmt: skip
HEADER = "| " + " | ".join(COLUMNS) + " |\n|" + "---|" * len(COLUMNS)
STUDIES = ["docs/study", "docs/study-51k"]  # 22,400 and 51,200 training problems per run


def learning_curve(log: Path) -> list[tuple[int, float]]:
    """(problems seen, valid accuracy); a resumed run logs some steps twice: the last wins."""
    points: dict[int, float] = {}
    if log.is_file():
        for line in log.read_text().splitlines():
            record = json.loads(line)
            if "eval" in record and "accuracy" in record["eval"]:
                points[record["examples_seen"]] = record["eval"]["accuracy"]
    return sorted(points.items())


def set_label(report: dict, split: str) -> str:
    """Name a held-out split by its tier: data built before the test tier held the dev tier."""
    if split != "heldout_phrasing":
        return split
    tier = report.get("heldout_phrasing_tier")
    if tier is None:  # written before eval reports named it: ask the copied manifest
        from omni_reasoner.eval.report import heldout_tier

        manifest = Path(report["_dir"]) / "data_manifest.json"
        tier = heldout_tier(json.loads(manifest.read_text()) if manifest.is_file() else {})
    return "heldout_phrasing" if tier == "test" else "valid_phrasing (dev tier)"


def study_section(studies: list[Path], out_dir: Path) -> list[str]:
    """One table per study folder and dataset (trace style): every schedule side by side at
    that folder's budget, then what it says."""
    by_study: dict[tuple[Path, str], list[dict]] = {}
    for study in studies:
        for path in sorted(study.glob("*/eval.json")) if study.is_dir() else []:
            report = json.loads(path.read_text())
            report["_dir"] = str(path.parent)
            report["_curve"] = learning_curve(path.parent / "log.jsonl")
            by_study.setdefault((study, report["data"]), []).append(report)
    if not by_study:
        return []
    lines = [
        "## The schedule study (equal data, model and budget)",
        "",
        "Same model shape, data, seed and number of training problems per run; only the schedule "
        "differs (`scripts/study.py`). One run each (one seed): differences of a few points are "
        "within run-to-run noise. Accuracy on the first 50 items per category (200 per set); "
        "latency medians over 10 items at batch 1 on this 2-core CPU.",
        "",
    ]
    for (study, data), group in by_study.items():
        meta = group[0].get("model_meta", {})
        budget = max((n for r in group for n, _ in r["_curve"]), default=meta.get("examples_seen"))
        lines += [
            f"### `{data}`: trace style `{meta.get('trace_style')}`, {budget} training problems per run",
            "",
            HEADER,
        ]
        for report in sorted(group, key=lambda r: r["results"][0]["schedule"]):
            for r in report["results"]:
                r["set"] = set_label(report, r["set"])
            lines += result_rows(report)
        lines += ["", *findings(group), ""]
        lines += ["Learning curves (accuracy on `valid` vs training problems seen):", ""]
        for report in group:
            points = ", ".join(f"{n}: {pct(a)}%" for n, a in report["_curve"])
            lines.append(f"- `{report['results'][0]['schedule']}`: {points}")
        lines.append("")
        plot = out_dir / f"{study.name}-{Path(data).name}.png"
        plot_study(group, plot)
        lines += [f"![accuracy vs time to first spoken token]({plot.name})", ""]
    for study in dict.fromkeys(study for study, _ in by_study):
        lines += trace_styles_side_by_side(
            [r for (s, _), group in by_study.items() if s == study for r in group], study
        )
    return lines


def trace_styles_side_by_side(reports: list[dict], study: Path) -> list[str]:
    """A schedule trained on both trace styles in one study folder (the same budget and
    held-out questions): accuracy item by item, reasoning length and the wait for speech."""
    by_schedule: dict[str, dict[str, dict]] = {}
    for report in reports:
        style = report.get("model_meta", {}).get("trace_style")
        by_schedule.setdefault(report["results"][0]["schedule"], {})[style] = report
    both = {s: styles for s, styles in sorted(by_schedule.items()) if len(styles) > 1}
    if not both:
        return []
    lines = [
        f"### Trace styles side by side (`{study}`)",
        "",
        "The same schedule, budget and `test` questions; `scratchpad`: the model writes its own "
        "column arithmetic; `calculator`: it writes `<<48*7=` and the engine computes the result.",
        "",
    ]
    for schedule, styles in both.items():
        (a_style, a), (b_style, b) = sorted(styles.items())[-2:]
        ra, rb = _result([a], schedule), _result([b], schedule)
        if ra is None or rb is None:
            continue
        ta = ra["latency"]["median_time_to_first_spoken_s"]
        tb = rb["latency"]["median_time_to_first_spoken_s"]
        lines.append(
            f"- `{schedule}`: `{b_style}` {pct(rb['accuracy'])} % vs `{a_style}` {pct(ra['accuracy'])} %"
            f"{paired(rb, ra, against=a_style)}; reasoning tokens {num(rb['mean_reasoning_tokens'])} "
            f"vs {num(ra['mean_reasoning_tokens'])}; median time to the first spoken token "
            f"{num(tb, 3)} vs {num(ta, 3)} s."
        )
    return lines + [""]


def _result(group: list[dict], schedule: str, split: str = "test") -> dict | None:
    for report in group:
        for r in report["results"]:
            if r["schedule"] == schedule and r["set"] == split:
                return r
    return None


def findings(group: list[dict]) -> list[str]:
    """The study's questions, answered from the numbers (no hand-typed conclusions)."""
    out = []
    first = _result(group, "think-first")
    if first is None:
        return out
    for schedule in sorted({r["results"][0]["schedule"] for r in group}):
        other = _result(group, schedule)
        if schedule == "think-first" or other is None:
            continue
        gap = round(100 * (other["accuracy"] - first["accuracy"]), 6)  # 88.5 - 90.5 is -2
        t_first = first["latency"]["median_time_to_first_spoken_s"]
        t_other = other["latency"]["median_time_to_first_spoken_s"]
        ratio = f"{t_first / t_other:.1f}x" if t_first and t_other else "-"
        verdict = "within 2 points" if abs(gap) <= 2 else ("above" if gap > 0 else "below")
        out.append(
            f"- `{schedule}` vs `think-first` on `test`: {gap:+.1f} points ({verdict}){paired(other, first)}; "
            f"think-first's median time to the first spoken token is {ratio} this schedule's."
        )
    answer_only = _result(group, "answer-only")
    if answer_only:
        for category in ("arithmetic_long", "multi_step"):
            base = answer_only["by_category"].get(category, {}).get("accuracy")
            better = [
                r["results"][0]["schedule"]
                for r in group
                if r["results"][0]["schedule"] != "answer-only"
                and (acc := _result(group, r["results"][0]["schedule"]))
                and acc["by_category"].get(category, {}).get("accuracy", 0) > (base or 0) + 0.05
            ]
            out.append(
                f"- `answer-only` on {category}: {pct(base)}%; more than 5 points above it: "
                + (", ".join(f"`{s}`" for s in sorted(better)) or "none")
            )
    return out


def paired(a: dict, b: dict, against: str = "think-first") -> str:
    """Item by item on the same questions: how many each alone gets right, and the exact
    two-sided McNemar p (a sign test on those items); "" when the items are not there."""
    right_a = {i["id"]: i["correct"] for i in a.get("items", [])}
    right_b = {i["id"]: i["correct"] for i in b.get("items", [])}
    shared = right_a.keys() & right_b.keys()
    if not shared:
        return ""
    only_a = sum(right_a[i] and not right_b[i] for i in shared)
    only_b = sum(right_b[i] and not right_a[i] for i in shared)
    p = mcnemar_p(only_a, only_b)
    shown = "< 0.001" if p < 0.001 else f"= {p:.3f}"
    return f", {only_a} right only here and {only_b} only under {against} (McNemar p {shown})"


def plot_study(group: list[dict], path: Path) -> None:
    from omni_reasoner.eval.report import plot_accuracy_vs_latency

    results = [_result([r], r["results"][0]["schedule"]) for r in group]
    plot_accuracy_vs_latency([r for r in results if r], path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--study",
        action="append",
        help="a folder of eval.json + log.jsonl per run, copied there by scripts/study.py "
        f"--publish; repeatable (default: {', '.join(STUDIES)})",
    )
    parser.add_argument("--default", default="src/omni_reasoner/checkpoints/default")
    parser.add_argument(
        "--run",
        default="docs/broad-wording/s3long/default-words-log.jsonl",
        help="the default model's training log (for its learning curve): a run folder or its "
        "log.jsonl (default: the shipped model's last step, as committed)",
    )
    parser.add_argument("--out", default="docs/results.md")
    args = parser.parse_args()
    lines = [
        "# Results",
        "",
        "Regenerated by `scripts/make_results.py` from eval JSON files; do not edit by hand.",
        "",
    ]
    default_eval = Path(args.default) / "eval.json"
    if default_eval.is_file():
        report = json.loads(default_eval.read_text())
        report["_dir"] = str(default_eval.parent)
        for r in report["results"]:
            r["set"] = set_label(report, r["set"])
        meta = report.get("model_meta", {})
        trained = f"trained on `{meta.get('data')}` for {meta.get('step')} steps ({meta.get('examples_seen')} problems seen)"
        config_path = default_eval.parent / "train_config.json"
        config = json.loads(config_path.read_text()) if config_path.is_file() else {}
        if config.get("init_from"):  # a fine-tune: say from what, and how
            reader = " and a reader (a frozen pretrained encoder reads the question too)"
            if (config.get("reader") or {}).get("word_dropout", 0) >= 1:
                reader = (
                    " and a reader (a frozen pretrained encoder reads the question; words reach "
                    "the Thinker only through it, numbers also by their own embeddings)"
                )
            trained = (
                f"fine-tuned from `{config['init_from']}` (the chain's step before it) "
                f"on `{meta.get('data')}` for {meta.get('step')} steps ({meta.get('examples_seen')} problems "
                f"seen) with `question_noise: {config.get('question_noise', 0)}`"
                + (reader if config.get("reader") else "")
            )
        lines += [
            "## The embedded default model",
            "",
            f"Schedule `{meta.get('schedule')}`, trace style `{meta.get('trace_style')}`, {meta.get('parameters', 0) / 1e6:.2f} M parameters, "
            f"{trained}. "
            f"Questions given in their spoken form (`{report.get('question_form')}`); greedy decoding; one run.",
            "",
            HEADER,
            *result_rows(report),
            "",
        ]
        log = Path(args.run) if Path(args.run).is_file() else Path(args.run) / "log.jsonl"
        curve = learning_curve(log)
        if curve:
            lines += [
                f"Learning curve of `{args.run}` (accuracy on `{config.get('eval_split', 'valid')}`, "
                f"{config.get('eval_per_category', 25)} items per category, vs training problems seen): "
                + ", ".join(f"{n}: {pct(a)}%" for n, a in curve),
                "",
            ]
    lines += study_section([Path(s) for s in args.study or STUDIES], Path(args.out).parent)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text("\n".join(lines) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
