"""A Spoken-MQA-style evaluation harness over the data builder's held-out splits.

Accuracy comes from batched greedy decoding; latency from batch-size-1 streaming runs
of the same engine on a slice of the same items (what a user would wait for).
"""

from __future__ import annotations

import statistics
from collections import defaultdict

from omni_reasoner.eval.scoring import extract_answer, is_correct
from omni_reasoner.format.drift import find_drift
from omni_reasoner.format.schedule import as_schedule, parse_stream, tokens_before_first_spoken
from omni_reasoner.format.tokens import PAD, SPEAK, SPECIAL_TOKENS, THINK
from omni_reasoner.train.examples import pick_question


def pick_rows(rows: list[dict], per_category: int) -> list[dict]:
    """The first `per_category` items of each category, in stored order (fixed, not sampled)."""
    taken: dict[str, int] = defaultdict(int)
    out = []
    for row in rows:
        if per_category <= 0 or taken[row["category"]] < per_category:
            taken[row["category"]] += 1
            out.append(row)
    return out


def reasoning_tokens(stream: list[str]) -> int:
    mode, count = None, 0
    for token in stream:
        if token in (SPEAK, THINK):
            mode = token
        elif mode == THINK and token != PAD and token not in SPECIAL_TOKENS:
            count += 1
    return count


def _median(values):
    values = [v for v in values if v is not None]
    return round(statistics.median(values), 4) if values else None


def _mean(values):
    values = [v for v in values if v is not None]
    return round(sum(values) / len(values), 4) if values else None


def stream_budget(manifest: dict, schedule: str) -> int:
    """How many tokens a generated stream may take: 1.5x the longest stream of this
    schedule in the data (a model that never ends costs a batch that long, not 1024)."""
    stats = manifest.get("schedule_stats", {}).get(schedule, {})
    longest = stats.get("max_tokens") or max(
        (s.get("max_tokens", 0) for s in manifest.get("schedule_stats", {}).values()), default=0
    )
    return int(1.5 * longest) + 32 if longest else 1024


def evaluate_rows(
    model,
    tokenizer,
    rows: list[dict],
    schedule: str,
    trace_style: str,
    question_form: str = "spoken",
    batch_size: int = 64,
    latency_n: int = 0,
    max_new_tokens: int = 1024,
    progress: bool = False,
    questions: list | None = None,
    timed=None,
    reader=None,
) -> dict:
    """Accuracy (batched, greedy) and batch-1 latency of `rows` under one schedule.

    `questions` replaces the rows' text questions (the spoken path passes what it heard:
    text or `AudioPrompt`s), and `timed(i)` the batch-1 run of row i (it times hearing too).
    `reader`: the checkpoint's text reader, if it was trained with one.
    """
    from tqdm import tqdm

    from omni_reasoner.infer.engine import Engine, ends_in_loop

    schedule = as_schedule(schedule).name
    engine = Engine(model, tokenizer, trace_style=trace_style, reader=reader)
    items = []
    batches = range(0, len(rows), batch_size)
    for start in tqdm(batches, desc=f"eval {schedule}", disable=not progress, leave=False):
        chunk = rows[start : start + batch_size]
        asked = (
            questions[start : start + batch_size]
            if questions is not None
            else [pick_question(r, question_form) for r in chunk]
        )
        streams = engine.generate_batch(asked, schedule, max_new_tokens=max_new_tokens)
        for row, question, stream in zip(chunk, asked, streams, strict=True):
            parsed = parse_stream(stream)
            answer = extract_answer(parsed.spoken_text)
            items.append(
                {
                    "id": row["id"],
                    "category": row["category"],
                    "question": str(question),
                    "reference": row["answer"],
                    "prediction": answer,
                    "correct": is_correct(answer, row["answer"]),
                    "spoken_words": len(parsed.spoken_text.split()),
                    "reasoning_tokens": reasoning_tokens(stream),
                    "stream_tokens": len(stream),
                    "tokens_before_first_spoken": tokens_before_first_spoken(stream),
                    "drift": bool(
                        find_drift(stream, f"{row['question']} {row['question_spoken']}")
                    ),
                    "malformed": bool(parsed.problems),
                    "looped": ends_in_loop(stream),
                    "spoken_text": parsed.spoken_text,
                }
            )
    latencies = []
    for i, row in enumerate(rows[:latency_n]):
        if timed is not None:
            latencies.append(timed(i))
            continue
        g = engine.generate(
            pick_question(row, question_form), schedule, max_new_tokens=max_new_tokens
        )
        latencies.append(g)
    by_category = {}
    for category in sorted({i["category"] for i in items}):
        sub = [i for i in items if i["category"] == category]
        by_category[category] = {
            "n": len(sub),
            "correct": sum(i["correct"] for i in sub),
            "accuracy": round(sum(i["correct"] for i in sub) / len(sub), 4),
        }
    n = len(items)
    return {
        "schedule": schedule,
        "n": n,
        "accuracy": round(sum(i["correct"] for i in items) / n, 4) if n else None,
        "by_category": by_category,
        "mean_spoken_words": _mean([i["spoken_words"] for i in items]),
        "mean_reasoning_tokens": _mean([i["reasoning_tokens"] for i in items]),
        "mean_stream_tokens": _mean([i["stream_tokens"] for i in items]),
        "mean_tokens_before_first_spoken": _mean([i["tokens_before_first_spoken"] for i in items]),
        "median_tokens_before_first_spoken": _median(
            [i["tokens_before_first_spoken"] for i in items]
        ),
        "drift_rate": round(sum(i["drift"] for i in items) / n, 4) if n else None,
        "malformed_rate": round(sum(i["malformed"] for i in items) / n, 4) if n else None,
        "looped_rate": round(sum(i["looped"] for i in items) / n, 4) if n else None,
        "latency": {
            "n": len(latencies),
            "median_time_to_first_spoken_s": _median([g.time_to_first_spoken_s for g in latencies]),
            "median_total_s": _median([g.total_s for g in latencies]),
            "median_forward_passes": _median([g.forward_passes for g in latencies]),
        },
        "items": items,
    }
