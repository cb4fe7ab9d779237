"""Look at a built dataset: print examples, and re-check it from its files.

`check_dataset` does not trust the manifest: it re-runs the drift checker on every
stored stream and the overlap check between training and evaluation questions.
"""

from __future__ import annotations

from pathlib import Path

from omni_reasoner.data.build import drift_column, gated, schedule_stats, stream_column
from omni_reasoner.data.dedup import EvalIndex
from omni_reasoner.data.store import DatasetError, load_split, read_manifest
from omni_reasoner.format.drift import find_drift
from omni_reasoner.format.schedule import as_schedule
from omni_reasoner.format.tokens import PAD, SPEAK, SPECIAL_TOKENS, THINK

_COLOURS = {"speak": "\033[1;32m", "think": "\033[2;36m", "special": "\033[90m", "reset": "\033[0m"}


def render_stream(stream: list[str], colour: bool) -> str:
    """The two streams visibly distinct: colours on a terminal, «spoken» and [reasoning] when piped."""
    out: list[str] = []
    mode = None
    pads = 0

    def flush_pads() -> None:
        nonlocal pads
        if pads:
            out.append(_paint(f" <pad>x{pads}" if pads > 1 else " <pad>", "special", colour))
            pads = 0

    def close() -> None:
        if not colour and mode is not None:
            out.append("»" if mode == SPEAK else "]")

    for token in stream:
        if token == PAD:
            pads += 1
            continue
        flush_pads()
        if token in (SPEAK, THINK):
            close()
            mode = token
            out.append(" " + ("«" if not colour and token == SPEAK else "[" if not colour else ""))
            out.append(_paint("S:" if token == SPEAK else "R:", "special", colour))
        elif token in SPECIAL_TOKENS:
            out.append(_paint(" " + token, "special", colour))
        else:
            out.append(_paint(token, "speak" if mode == SPEAK else "think", colour))
    flush_pads()
    close()
    return "".join(out).strip()


def _paint(text: str, kind: str, colour: bool) -> str:
    return f"{_COLOURS[kind]}{text}{_COLOURS['reset']}" if colour else text


def show_examples(
    directory: str | Path,
    n: int = 3,
    schedule: str | None = None,
    split: str = "train",
    colour: bool = False,
) -> str:
    manifest = read_manifest(directory)
    schedule = as_schedule(schedule or _default_schedule(manifest)).name
    if schedule not in manifest["schedules"]:
        raise DatasetError(
            f"dataset {directory} was not built for schedule {schedule}; it has: {', '.join(manifest['schedules'])}"
        )
    rows = [r for r in load_split(directory, split) if r[stream_column(schedule)] is not None][
        : max(0, n)
    ]
    blocks = []
    for row in rows:
        stream = row[stream_column(schedule)]
        blocks.append(
            "\n".join(
                [
                    f"── {row['id']}  ({row['category']}, {row['source']}, template {row['template_id'] or '-'})",
                    f"question : {row['question']}",
                    f"spoken as: {row['question_spoken']}",
                    f"answer   : {row['answer']}",
                    f"{schedule} ({len(stream)} tokens):",
                    "  " + render_stream(stream, colour),
                ]
            )
        )
    return "\n\n".join(blocks) if blocks else f"(no {split} items with a {schedule} stream)"


def _default_schedule(manifest: dict) -> str:
    return (
        "interleave:2:8" if "interleave:2:8" in manifest["schedules"] else manifest["schedules"][0]
    )


def check_dataset(directory: str | Path) -> dict:
    """Counts, schedule statistics, drift and eval overlap, recomputed from the stored rows."""
    manifest = read_manifest(directory)
    splits = {name: load_split(directory, name) for name in manifest["files"]}
    train = splits.get("train", [])
    cfg = manifest["config"]
    index = EvalIndex(cfg["dedup_ngram"], cfg["dedup_containment"])
    for name, rows in splits.items():
        if name != "train":
            for row in rows:
                index.add(row["id"], row["question"])
    overlaps = [(r["id"], o.eval_id, o.kind) for r in train if (o := index.overlap(r["question"]))]
    drift: dict[str, float] = {}
    drifting_examples: dict[str, list[str]] = {}
    stored_disagrees = 0
    for schedule in manifest["schedules"]:
        bad = []
        for row in train:
            stream = row[stream_column(schedule)]
            events = find_drift(stream, f"{row['question']} {row['question_spoken']}")
            if bool(events) != bool(row[drift_column(schedule)]):
                stored_disagrees += 1
            if events:
                bad.append(row["id"])
        drift[schedule] = round(len(bad) / len(train), 6) if train else 0.0
        if bad:
            drifting_examples[schedule] = bad[:5]
    gated_drift = {s: r for s, r in drift.items() if gated(s) and r > 0}
    return {
        "directory": str(directory),
        "format_version": manifest["format_version"],
        "n_items": sum(len(r) for r in splits.values()),
        "splits": {name: len(rows) for name, rows in splits.items()},
        "by_category": {
            name: {
                c: sum(1 for r in rows if r["category"] == c)
                for c in sorted({r["category"] for r in rows})
            }
            for name, rows in splits.items()
        },
        "eval_overlap": len(overlaps),
        "eval_overlap_examples": overlaps[:5],
        "drift_rate": drift,
        "drift_gated": sorted(gated_drift),
        "drift_examples": drifting_examples,
        "manifest_disagrees": stored_disagrees,
        "schedule_stats": {s: schedule_stats(train, s) for s in manifest["schedules"]},
        "ok": not overlaps and not gated_drift and not stored_disagrees,
    }


def format_check(report: dict) -> str:
    lines = [f"dataset {report['directory']}: {report['n_items']} items"]
    for name, n in report["splits"].items():
        cats = ", ".join(f"{c} {k}" for c, k in report["by_category"][name].items())
        lines.append(f"  {name:<18} {n:>6}   {cats}")
    lines.append(f"eval overlap (train vs evaluation questions): {report['eval_overlap']}")
    lines.append("schedule                      drift    tokens  before-1st-spoken  pads")
    for schedule, rate in report["drift_rate"].items():
        st = report["schedule_stats"][schedule]
        note = "" if gated(schedule) else "  (no reasoning stream: not gated)"
        lines.append(
            f"  {schedule:<26} {rate:>7.4f} {st.get('mean_tokens', 0):>8.1f} "
            f"{st.get('mean_tokens_before_first_spoken', 0):>17.1f} {st.get('mean_pad_tokens', 0):>6.1f}{note}"
        )
    lines.append("OK" if report["ok"] else "FAILED: " + "; ".join(_failures(report)))
    return "\n".join(lines)


def _failures(report: dict) -> list[str]:
    out = []
    if report["eval_overlap"]:
        out.append(f"{report['eval_overlap']} training questions overlap evaluation questions")
    for s in report["drift_gated"]:
        out.append(f"drift in {s} ({report['drift_rate'][s]:.4f})")
    if report["manifest_disagrees"]:
        out.append(f"{report['manifest_disagrees']} stored drift counts disagree with the checker")
    return out
