"""`omni-reasoner eval`: run the harness over sets x schedules, write JSON, a table, a plot."""

from __future__ import annotations

import json
import time
from pathlib import Path

from omni_reasoner.data.store import atomic_write_json, load_split, read_manifest
from omni_reasoner.eval.harness import evaluate_rows, pick_rows, stream_budget
from omni_reasoner.format.schedule import as_schedule


def run_evaluation(
    model: str | None,
    data: str,
    sets: list[str] | None = None,
    schedules: list[str] | None = None,
    per_category: int = 0,
    latency_n: int = 10,
    question_form: str = "spoken",
    json_out: str | None = None,
    plot_out: str | None = None,
    progress: bool = True,
    pipeline: str = "auto",
    device: str = "cpu",
) -> dict:
    """`sets` are split names, or audio sets (`heldout-audio`, `<split>-audio`: the split's
    clips heard by `pipeline`, see eval/audio_sets.py)."""
    from omni_reasoner.api import Reasoner
    from omni_reasoner.eval.audio_sets import audio_split, evaluate_audio_set

    reasoner = Reasoner.load(model, device=device)
    manifest = read_manifest(data)
    if manifest["trace_style"] != reasoner.trace_style:
        raise ValueError(
            f"dataset {data} uses the {manifest['trace_style']} trace style but the model was trained on {reasoner.trace_style}"
        )
    sets = sets or ["test"]
    schedules = [as_schedule(s).name for s in schedules or [reasoner.schedule]]
    results = []
    for split in sets:
        spoken = audio_split(split) is not None
        rows = [] if spoken else pick_rows(load_split(data, split), per_category)
        for schedule in schedules:
            t0 = time.time()
            if spoken:
                result = evaluate_audio_set(
                    reasoner,
                    data,
                    split,
                    schedule,
                    pipeline=pipeline,
                    per_category=per_category,
                    latency_n=latency_n,
                    max_new_tokens=stream_budget(manifest, schedule),
                    progress=progress,
                )
            else:
                result = evaluate_rows(
                    reasoner.model,
                    reasoner.tokenizer,
                    rows,
                    schedule,
                    trace_style=reasoner.trace_style,
                    question_form=question_form,
                    latency_n=latency_n,
                    max_new_tokens=stream_budget(manifest, schedule),
                    progress=progress,
                    reader=reasoner.reader,
                )
            result["set"] = split
            result["eval_seconds"] = round(time.time() - t0, 1)
            results.append(result)
    report = {
        "model": str(reasoner.path),
        "model_meta": reasoner.meta,
        "data": str(data),
        "data_fingerprint": manifest.get("fingerprint"),
        "heldout_phrasing_tier": heldout_tier(manifest),
        "question_form": question_form,
        "per_category": per_category,
        "results": results,
    }
    report["table"] = format_table(results)
    if json_out:
        atomic_write_json(Path(json_out), report)
    if plot_out:
        plot_accuracy_vs_latency(results, Path(plot_out))
    return report


def heldout_tier(manifest: dict) -> str:
    """Which tier of held-out wording the dataset's `heldout_phrasing` holds: datasets built
    before the test tier existed hold what is now the dev tier (`valid_phrasing`)."""
    return "test" if "n_valid_phrasing_per_category" in manifest.get("config", {}) else "dev"


def format_table(results: list[dict]) -> str:
    categories = sorted({c for r in results for c in r["by_category"]})
    head = [
        "set",
        "schedule",
        "acc",
        *categories,
        "words",
        "reason",
        "tok<1st",
        "ttfs_s",
        "total_s",
        "drift",
    ]
    rows = []
    for r in results:
        lat = r["latency"]
        rows.append(
            [
                f"{r['set']} ({r['pipeline']})" if r.get("pipeline") else r["set"],
                r["schedule"],
                _pct(r["accuracy"]),
                *[_pct(r["by_category"].get(c, {}).get("accuracy")) for c in categories],
                _num(r["mean_spoken_words"]),
                _num(r["mean_reasoning_tokens"]),
                _num(r["median_tokens_before_first_spoken"]),
                _num(lat["median_time_to_first_spoken_s"], 3),
                _num(lat["median_total_s"], 3),
                _num(r["drift_rate"], 3),
            ]
        )
    widths = [max(len(str(x)) for x in column) for column in zip(head, *rows, strict=True)]
    lines = []
    for line in (head, *rows):
        cells = [
            f"{str(c):<{w}}" if i < 2 else f"{str(c):>{w}}"
            for i, (c, w) in enumerate(zip(line, widths, strict=True))
        ]
        lines.append("  ".join(cells))
    return "\n".join(lines)


def _pct(value) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _num(value, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def plot_accuracy_vs_latency(results: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for r in results:
        x = r["latency"]["median_time_to_first_spoken_s"]
        if x is None or r["accuracy"] is None:
            continue
        ax.scatter(x, 100 * r["accuracy"], s=40)
        ax.annotate(
            f"{r['schedule']} ({r['set']})",
            (x, 100 * r["accuracy"]),
            fontsize=7,
            xytext=(4, 2),
            textcoords="offset points",
        )
    ax.set_xlabel("median time to first spoken token (s, batch 1)")
    ax.set_ylabel("accuracy (%)")
    ax.set_title("Accuracy vs. time to first spoken token")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp, dpi=120)
    plt.close(fig)
    tmp.replace(path)


def load_report(path: str | Path) -> dict:
    return json.loads(Path(path).read_text())
