"""Evaluation from spoken questions: a split's clips (`data speak`) heard e2e or by the cascade.

Set names: `<split>-audio` is the clips of that split; `heldout-audio` is the `test` split's
clips -- held-out problems in training phrasings, said by voices training never heard --
so the gap to the same items read as text is the price of hearing alone. Hearing is
timed per clip (`mean_audio_encode_s`), and the batch-1 latency runs count it, as a user
waits for it.
"""

from __future__ import annotations

import statistics

SUFFIX = "-audio"
ALIASES = {"heldout-audio": "test"}


def audio_split(name: str) -> str | None:
    """The split whose clips an audio set name means, or None for a text set."""
    if name in ALIASES:
        return ALIASES[name]
    return name[: -len(SUFFIX)] if name.endswith(SUFFIX) else None


def spoken_rows(data, split: str, per_category: int = 0) -> tuple[list[dict], list]:
    """(rows, audios): the split's items that have a kept clip, first N per category."""
    from omni_reasoner.audio.input import load_audio
    from omni_reasoner.data.store import load_split
    from omni_reasoner.eval.harness import pick_rows
    from omni_reasoner.train.audio import read_clips

    clips = {c["id"]: c for c in read_clips(data, split)}
    rows = pick_rows([r for r in load_split(data, split) if r["id"] in clips], per_category)
    return rows, [load_audio(clips[r["id"]]["audio"]) for r in rows]


def evaluate_audio_set(
    reasoner,
    data,
    name: str,
    schedule: str,
    pipeline: str = "auto",
    per_category: int = 0,
    latency_n: int = 10,
    max_new_tokens: int = 1024,
    progress: bool = False,
) -> dict:
    """The harness's report for an audio set, plus the pipeline and hearing times."""
    from tqdm import tqdm

    from omni_reasoner.eval.harness import evaluate_rows
    from omni_reasoner.infer.listening import hear, prepare

    pipeline = prepare(reasoner, pipeline)
    rows, audios = spoken_rows(data, audio_split(name), per_category)
    heard = [
        hear(reasoner, audio, pipeline)
        for audio in tqdm(audios, desc=f"hear {pipeline}", disable=not progress, leave=False)
    ]

    def timed(i: int):
        return reasoner.ask_audio(
            audios[i], pipeline=pipeline, schedule=schedule, max_new_tokens=max_new_tokens
        )

    result = evaluate_rows(
        reasoner.model,
        reasoner.tokenizer,
        rows,
        schedule,
        trace_style=reasoner.trace_style,
        latency_n=latency_n,
        max_new_tokens=max_new_tokens,
        progress=progress,
        questions=[h.question for h in heard],
        timed=timed,
        reader=reasoner.reader,
    )
    for item, h in zip(result["items"], heard, strict=True):
        item["transcript"] = h.transcript
        item["audio_encode_s"] = round(h.encode_s, 4)
    times = [h.encode_s for h in heard]
    result["pipeline"] = pipeline
    result["mean_audio_encode_s"] = round(sum(times) / len(times), 4) if times else None
    result["median_audio_encode_s"] = round(statistics.median(times), 4) if times else None
    return result
