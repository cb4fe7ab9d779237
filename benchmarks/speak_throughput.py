"""Clips per second of the speak stage on this machine: rendering (espeak-ng, Piper), the
Whisper round trip, and the whole stage with 1 and 2 worker processes, side by side.

    python benchmarks/speak_throughput.py --data data/tiny-60k --n 24
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from omni_reasoner.data.config import load_config
from omni_reasoner.data.roundtrip import Transcriber
from omni_reasoner.data.speak import speak_dataset
from omni_reasoner.data.speech import Renderer, audio_config_from_dict, draw_settings
from omni_reasoner.data.store import (
    FORMAT_VERSION,
    atomic_write_json,
    atomic_write_parquet,
    load_split,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="data/tiny-60k", help="a built dataset")
    parser.add_argument("--split", default="train")
    parser.add_argument("--n", type=int, default=24, help="questions per measurement")
    args = parser.parse_args()

    rows = load_split(args.data, args.split, ["id", "question", "question_spoken"])[: args.n]
    config = audio_config_from_dict(load_config("tiny").audio)
    renderer, audio_s = Renderer(), 0.0
    results = {}
    for pool in ("train", "test"):  # train: espeak-ng; test: Piper + held-out espeak-ng
        clips, t0 = [], time.perf_counter()
        for r in rows:
            settings = draw_settings(config, pool, r["id"])
            if pool == "test" and settings.engine != "piper":
                continue
            clips.append(renderer.render(r["question_spoken"], settings))
        seconds = time.perf_counter() - t0
        audio_s = sum(len(c) for c in clips) / 16000
        name = "espeak-ng" if pool == "train" else "piper"
        results[f"render {name}"] = (len(clips), seconds, audio_s)
        if pool == "train":
            espeak_clips = clips
    transcriber = Transcriber()
    transcriber(espeak_clips[0])  # load
    t0 = time.perf_counter()
    for clip in espeak_clips:
        transcriber(clip)
    results["round trip (whisper)"] = (
        len(espeak_clips),
        time.perf_counter() - t0,
        sum(len(c) for c in espeak_clips) / 16000,
    )

    with tempfile.TemporaryDirectory() as tmp:
        for workers in (1, 2):
            directory = Path(tmp) / f"w{workers}"
            import pyarrow as pa

            schema = pa.schema([(k, pa.string()) for k in ("id", "question", "question_spoken")])
            atomic_write_parquet(directory / "train.parquet", rows, schema)
            files = {"train": {"path": "train.parquet", "rows": len(rows)}}
            atomic_write_json(
                directory / "manifest.json",
                {"format_version": FORMAT_VERSION, "files": files, "config": {}},
            )
            config.shard_size = max(1, len(rows) // 4)
            t0 = time.perf_counter()
            summary = speak_dataset(directory, config, workers=workers, progress=False)
            s = summary["splits"]["train"]
            results[f"speak + check, {workers} worker(s)"] = (
                s["checked"],
                time.perf_counter() - t0,
                s["seconds"],
            )
            shutil.rmtree(directory)

    print(
        f"{'stage':32s} {'clips':>6s} {'seconds':>8s} {'clips/s':>8s} {'clips/h':>8s} {'audio x':>8s}"
    )
    for name, (n, seconds, audio) in results.items():
        print(
            f"{name:32s} {n:6d} {seconds:8.2f} {n / seconds:8.2f} {3600 * n / seconds:8.0f} "
            f"{audio / seconds:8.1f}"
        )


if __name__ == "__main__":
    main()
