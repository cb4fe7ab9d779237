"""The real Spoken-MQA benchmark from its public parquet files, heard and scored here.

Spoken-MQA (arXiv 2505.15000; Hugging Face `amao0o0/spoken-mqa`) has four public splits:
`short_digit` and `long_digit` (arithmetic), `single_step_reasoning` and
`multi_step_reasoning` (contextual word problems). Each row holds the question read aloud
(`context`, a `datasets` Audio struct {bytes, path}), its text (`context_transcript`) and
the `answer` (a string or a {text} struct; GSM8K-style answers end in "#### 72").

Scoring is the project's Spoken-MQA scoring (`eval/scoring.py`: the number after "The
answer is", else the last number, exact after normalising) applied to the spoken answer;
for the reasoning splits the reference is what follows "#### ", as AudioBench does. The
averages are weighted by the split sizes, as the paper's are: arithmetic (the two digit
splits), reasoning (the two contextual ones) and all four. With `per_split` a seeded
random sample of each split is evaluated and the averages still use the full sizes.

Every item is timed from the end of its audio (the pipeline's encode time included). A
clip the input rules refuse (`audio/input.py`, e.g. over 30 s) counts as wrong and is
listed as refused.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SPLITS = ("short_digit", "long_digit", "single_step_reasoning", "multi_step_reasoning")
AVERAGES = {
    "arithmetic": ("short_digit", "long_digit"),
    "reasoning": ("single_step_reasoning", "multi_step_reasoning"),
    "overall": SPLITS,
}
COLUMNS = ("context", "context_transcript", "answer")
SEED = 42


class SpokenMQAError(ValueError):
    """A Spoken-MQA directory that cannot be read; one line for the CLI."""


@dataclass
class Item:
    split: str
    index: int
    audio: bytes | Path  # the encoded clip, or where it is
    transcript: str
    reference: str


def split_files(directory: str | Path) -> dict[str, list[Path]]:
    """The parquet files of each split: `<split>.parquet`, `<split>-00000-of-00002.parquet`
    (the Hugging Face layout, in any subfolder) or any parquet inside a `<split>/` folder."""
    directory = Path(directory)
    if not directory.is_dir():
        raise SpokenMQAError(f"{directory}: no such directory")
    found: dict[str, list[Path]] = {}
    for path in sorted(directory.rglob("*.parquet")):
        for split in SPLITS:
            stem = path.name.removesuffix(".parquet")
            if stem == split or stem.startswith(split + "-") or path.parent.name == split:
                found.setdefault(split, []).append(path)
                break
    if not found:
        raise SpokenMQAError(
            f"{directory} holds no Spoken-MQA parquet files (named after a split: "
            f"{', '.join(SPLITS)})"
        )
    return {split: found[split] for split in SPLITS if split in found}


def _check_columns(path: Path, schema) -> None:
    missing = [c for c in COLUMNS if c not in schema.names]
    if missing:
        raise SpokenMQAError(f"{path.name} lacks the column(s) {', '.join(missing)}")


def reference_answer(value) -> str:
    """The `answer` cell -> the reference number as text ("#### 72" -> "72")."""
    if isinstance(value, dict):
        value = value.get("text")
    if value is None:
        return ""
    text = str(value)
    return text.split("#### ")[-1].strip() if "####" in text else text.strip()


def _audio_of(cell, path: Path) -> bytes | Path:
    if isinstance(cell, dict) and cell.get("bytes"):
        return cell["bytes"]
    where = cell.get("path") if isinstance(cell, dict) else None
    if where and (path.parent / where).is_file():
        return path.parent / where
    raise SpokenMQAError(f"{path.name}: a row has no audio bytes and no readable audio path")


def read_split(
    split: str, files: list[Path], per_split: int | None = None
) -> tuple[int, list[Item]]:
    """(rows in the split, the items picked): all, or a seeded sample of `per_split`."""
    import pyarrow.parquet as pq

    handles = []
    for path in files:
        try:
            handle = pq.ParquetFile(path)
        except Exception:  # pyarrow's own message is long; the file name says enough
            raise SpokenMQAError(f"{path.name} is not a readable parquet file") from None
        _check_columns(path, handle.schema_arrow)
        handles.append((path, handle))
    size = sum(handle.metadata.num_rows for _, handle in handles)
    wanted = range(size)
    if per_split is not None and per_split < size:
        wanted = np.random.default_rng(SEED).choice(size, per_split, replace=False)
    wanted = sorted(int(i) for i in wanted)
    items: list[Item] = []
    start = 0
    for path, handle in handles:
        for group in range(handle.num_row_groups):
            rows = handle.metadata.row_group(group).num_rows
            local = [i - start for i in wanted if start <= i < start + rows]
            if local:
                table = handle.read_row_group(group, columns=list(COLUMNS)).take(local)
                for offset, row in zip(local, table.to_pylist(), strict=True):
                    items.append(
                        Item(
                            split=split,
                            index=start + offset,
                            audio=_audio_of(row["context"], path),
                            transcript=str(row["context_transcript"] or ""),
                            reference=reference_answer(row["answer"]),
                        )
                    )
            start += rows
    return size, items


def _percentile(values: list[float], q: float) -> float | None:
    return float(np.percentile(values, q)) if values else None


def _latency(records: list[dict]) -> dict:
    answered = [r for r in records if "error" not in r]
    out = {}
    for key in ("audio_encode_s", "time_to_first_spoken_s", "total_s"):
        values = [r[key] for r in answered if r.get(key) is not None]
        out[key] = {"median": _percentile(values, 50), "p95": _percentile(values, 95)}
    return out


def evaluate_spoken_mqa(
    reasoner,
    directory: str | Path,
    pipeline: str | None = "auto",
    per_split: int | None = None,
    schedule: str | None = None,
    progress: bool = False,
) -> dict:
    """Hear and answer every picked item; accuracy per split and weighted averages."""
    from omni_reasoner.audio.input import AudioInputError, load_audio
    from omni_reasoner.eval.scoring import is_correct
    from omni_reasoner.infer.listening import prepare

    if per_split is not None and per_split < 1:
        raise SpokenMQAError(f"--per-split must be at least 1, not {per_split}")
    files = split_files(directory)
    pipeline = prepare(reasoner, pipeline)
    picked = {split: read_split(split, paths, per_split) for split, paths in files.items()}
    total = sum(len(items) for _, items in picked.values())
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=total, desc="spoken-mqa", unit="item")
    splits, records = {}, []
    started = time.time()
    for split, (size, items) in picked.items():
        split_records = []
        for item in items:
            record = {"split": split, "index": item.index, "reference": item.reference}
            try:
                result = reasoner.ask_audio(
                    load_audio(item.audio), pipeline=pipeline, schedule=schedule
                )
            except AudioInputError as exc:
                record |= {"error": str(exc), "correct": False}
            else:
                record |= {
                    "transcript": result.transcript,
                    "reference_transcript": item.transcript,
                    "spoken_text": result.spoken_text,
                    "prediction": result.answer,
                    "correct": is_correct(result.answer, item.reference),
                    "audio_encode_s": result.audio_encode_s,
                    "time_to_first_spoken_s": result.time_to_first_spoken_s,
                    "total_s": result.total_s,
                }
            split_records.append(record)
            if bar is not None:
                bar.update()
        correct = sum(r["correct"] for r in split_records)
        splits[split] = {
            "size": size,
            "evaluated": len(split_records),
            "correct": correct,
            "accuracy": correct / len(split_records) if split_records else None,
            "refused": sum("error" in r for r in split_records),
            "latency": _latency(split_records),
        }
        records += split_records
    if bar is not None:
        bar.close()
    return {
        "benchmark": "spoken-mqa",
        "directory": str(directory),
        "model": str(reasoner.path),
        "pipeline": pipeline,
        "schedule": schedule or reasoner.schedule,
        "per_split": per_split,
        "seed": SEED if per_split else None,
        "splits": splits,
        "averages": weighted_averages(splits),
        "latency": _latency(records),
        "eval_seconds": round(time.time() - started, 1),
        "items": records,
    }


def weighted_averages(splits: dict) -> dict:
    """Accuracy of each group, each split weighted by its full size (as the paper does)."""
    averages = {}
    for name, members in AVERAGES.items():
        present = [splits[s] for s in members if s in splits and splits[s]["evaluated"]]
        weight = sum(s["size"] for s in present)
        if present and weight:
            averages[name] = sum(s["accuracy"] * s["size"] for s in present) / weight
    return averages


def format_report(report: dict) -> str:
    def ms(value):
        return "-" if value is None else f"{value:.2f}"

    lines = [
        f"Spoken-MQA ({report['pipeline']} pipeline, schedule {report['schedule']}): "
        f"accuracy; latency in seconds from the end of the question audio (medians)",
        f"{'split':<24} {'n':>9} {'acc %':>7} {'refused':>8} {'encode':>7} "
        f"{'first':>7} {'total':>7}",
    ]
    for split, s in report["splits"].items():
        lat = s["latency"]
        lines.append(
            f"{split:<24} {s['evaluated']:>4}/{s['size']:<4} {100 * s['accuracy']:>7.1f} "
            f"{s['refused']:>8} {ms(lat['audio_encode_s']['median']):>7} "
            f"{ms(lat['time_to_first_spoken_s']['median']):>7} {ms(lat['total_s']['median']):>7}"
        )
    for name, value in report["averages"].items():
        lines.append(f"{name + ' (size-weighted)':<24} {'':>9} {100 * value:>7.1f}")
    return "\n".join(lines)
