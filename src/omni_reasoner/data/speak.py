"""The speak stage: question clips for a built dataset, checked by the Whisper round trip.

Layout (`docs/data.md`): `DIR/audio/<split>/shard-NNNNN.parquet`, one row per question
in speaking order (`speaking_order`: a fixed shuffle), `shard_size` rows a shard; the clip is FLAC (16-bit, 16 kHz,
mono) bytes in the `audio` column beside its settings, transcript and status. A
shard is written atomically once all its clips are done, so a killed run resumes at
the first missing shard; clips already stored are never rendered again. Speaking the
first N questions of a split (`limit_per_split`) and raising N later renders only
the new ones, and any N is a fair sample of the split. The summary (voices, speeds, SNRs, held-out voices, check counts) goes
into the dataset's `manifest.json` under `audio`.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import signal
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pyarrow as pa

from omni_reasoner.data.roundtrip import number_mismatch
from omni_reasoner.data.speech import (
    SAMPLE_RATE,
    AudioConfig,
    ClipSettings,
    Renderer,
    check_voices,
    draw_settings,
    held_out_summary,
    voice_key,
)
from omni_reasoner.data.store import (
    MANIFEST,
    DatasetError,
    atomic_write_json,
    atomic_write_parquet,
    load_split,
    read_manifest,
    read_parquet,
)

AUDIO_DIR = "audio"
STAMP = "config.json"
FORMAT = "FLAC 16-bit 16 kHz mono, bytes in the `audio` column of audio/<split>/shard-NNNNN.parquet"

SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("split", pa.string()),
        ("text", pa.string()),  # what was spoken
        ("audio", pa.binary()),  # FLAC bytes; null when the item was dropped
        ("num_samples", pa.int64()),
        ("engine", pa.string()),
        ("voice", pa.string()),
        ("variant", pa.string()),
        ("rate", pa.float64()),
        ("pitch", pa.float64()),
        ("noise", pa.string()),
        ("snr_db", pa.float64()),
        ("reverb_rt60", pa.float64()),
        ("seed", pa.int64()),
        ("pool", pa.string()),
        ("attempt", pa.int32()),  # 0 = first voice; k = k-th re-render after a rejection
        ("transcript", pa.string()),
        ("verify", pa.string()),  # passed | rejected | unchecked
        ("status", pa.string()),  # ok | dropped
        ("rejected", pa.string()),  # JSON list: the rejected attempts, settings + transcript
    ]
)
META_COLUMNS = [name for name in SCHEMA.names if name != "audio"]
# Whisper's window: the encoder of the e2e path takes no longer clip
MAX_CLIP_SAMPLES = 30 * SAMPLE_RATE


def too_long(audio: np.ndarray) -> str:
    """Why a clip cannot be used as it is ("" if it can)."""
    if len(audio) > MAX_CLIP_SAMPLES:
        return f"{len(audio) / SAMPLE_RATE:.1f} s, longer than the encoder's 30 s window"
    return ""


def encode_flac(audio: np.ndarray) -> bytes:
    import soundfile

    buffer = io.BytesIO()
    soundfile.write(buffer, audio, SAMPLE_RATE, format="FLAC", subtype="PCM_16")
    return buffer.getvalue()


def decode_audio(data: bytes) -> np.ndarray:
    """A stored clip as float32 samples in [-1, 1] at 16 kHz."""
    import soundfile

    audio, rate = soundfile.read(io.BytesIO(data), dtype="float32")
    if rate != SAMPLE_RATE:
        raise DatasetError(f"a stored clip is at {rate} Hz, expected {SAMPLE_RATE}")
    return audio


def settings_of(row: dict) -> ClipSettings:
    """The settings stored with a clip, to re-render it with `Renderer.render(row['text'], ...)`."""
    return ClipSettings(**{k: row[k] for k in ClipSettings.__dataclass_fields__})


def spoken_text(row: dict) -> str:
    return (row.get("question_spoken") or row.get("question") or "").strip()


# ---------------------------------------------------------------- one shard


class Speaker:
    """Renders and checks clips; one per process, engines and Whisper loaded once."""

    def __init__(self, config: AudioConfig):
        self.config = config
        self.renderer = Renderer()
        self._transcriber = None
        self.rendered = 0  # clips synthesized (tests count them across a resume)

    def transcribe(self, audio: np.ndarray) -> str:
        if self._transcriber is None:
            from omni_reasoner.data.roundtrip import Transcriber

            self._transcriber = Transcriber(threads=1)
        return self._transcriber(audio)

    def render(self, text: str, settings: ClipSettings) -> np.ndarray:
        self.rendered += 1
        return self.renderer.render(text, settings)

    def clip(self, item: dict, split: str, verify: bool, old: dict | None = None) -> dict:
        """The row for one question: reuse `old` if it is stored, check it if asked."""
        text, pool = item["text"], self.config.pool_for(split)
        if old is not None and old["status"] == "ok":
            settings, audio = settings_of(old), decode_audio(old["audio"])
            attempt, rejected = old["attempt"], json.loads(old["rejected"] or "[]")
        else:
            attempt, rejected = 0, []
            settings = draw_settings(self.config, pool, item["id"], attempt)
            audio = self.render(text, settings)
        while True:
            # a clip the encoder cannot take is re-rendered too (another voice may be faster)
            why, transcript = too_long(audio), ""
            if not why and verify:
                transcript = self.transcribe(audio)
                why = number_mismatch(text, transcript)
            if not why:
                state = "passed" if verify else "unchecked"
                return self._row(item, split, settings, attempt, audio, transcript, state, rejected)
            rejected.append(
                settings.to_dict() | {"attempt": attempt, "transcript": transcript, "reason": why}
            )
            if attempt >= self.config.rerender:
                state = "rejected" if verify else "unchecked"
                return self._row(item, split, settings, attempt, None, transcript, state, rejected)
            attempt += 1
            avoid = frozenset(voice_key(r["engine"], r["voice"], r["variant"]) for r in rejected)
            settings = draw_settings(self.config, pool, item["id"], attempt, avoid)
            audio = self.render(text, settings)

    def _row(self, item, split, settings, attempt, audio, transcript, verify, rejected) -> dict:
        return settings.to_dict() | {
            "id": item["id"],
            "split": split,
            "text": item["text"],
            "audio": None if audio is None else encode_flac(audio),
            "num_samples": 0 if audio is None else len(audio),
            "attempt": attempt,
            "transcript": transcript,
            "verify": verify,
            "status": "ok" if audio is not None else "dropped",
            "rejected": json.dumps(rejected) if rejected else "",
        }


def _needs_work(row: dict | None, verify: bool) -> bool:
    return row is None or (verify and row["verify"] == "unchecked")


def speak_shard(speaker: Speaker, path: Path, items: list[dict], split: str, verify: bool) -> int:
    """Bring one shard up to date; returns how many of its rows were (re)done."""
    old = {r["id"]: r for r in read_parquet(path)} if path.is_file() else {}
    if [r for r in old] == [i["id"] for i in items] and not any(
        _needs_work(old[i["id"]], verify) for i in items
    ):
        return 0
    rows, done = [], 0
    for item in items:
        row = old.get(item["id"])
        if _needs_work(row, verify):
            row = speaker.clip(item, split, verify, row)
            done += 1
        rows.append(row)
    atomic_write_parquet(path, rows, SCHEMA)
    return done


_WORKER: Speaker | None = None


def _worker_task(
    config: AudioConfig, path: str, items: list[dict], split: str, verify: bool
) -> tuple[int, int]:
    global _WORKER
    if _WORKER is None or _WORKER.config != config:
        _WORKER = Speaker(config)
    return speak_shard(_WORKER, Path(path), items, split, verify), len(items)


# ---------------------------------------------------------------- the stage


def audio_config_for(directory: str | Path, preset: str | None = None, path: str | None = None):
    """The audio section of --config/--preset, else of the dataset's own config, else tiny's."""
    from omni_reasoner.data.config import load_config
    from omni_reasoner.data.speech import audio_config_from_dict

    if preset or path:
        return audio_config_from_dict(load_config(preset, path).audio)
    own = read_manifest(directory).get("config", {}).get("audio")
    return audio_config_from_dict(own or load_config("tiny").audio)


def speaking_order(rows: list[dict]) -> list[dict]:
    """Rows in the order they are spoken: by a hash of their id, a fixed shuffle.

    A built split is grouped by category (the training split starts with 13,500 short
    sums), so its first N questions would be one kind of problem; every prefix of this
    order is a fair sample of the split, and the same one on every run, so
    `--limit-per-split N` stays a prefix that a larger N extends.
    """
    return sorted(rows, key=lambda row: hashlib.sha256(str(row["id"]).encode()).digest())


def _plan(directory: Path, manifest: dict, config: AudioConfig, splits, limit) -> list[tuple]:
    """(shard path, items, split) for every shard of every chosen split."""
    files = manifest.get("files", {})
    splits = list(splits or sorted(files))
    for split in splits:
        if split not in files:
            raise DatasetError(
                f"dataset {directory} has no split {split!r}; it has: {', '.join(sorted(files))}"
            )
    shards, total = [], 0
    for split in splits:
        rows = speaking_order(load_split(directory, split, ["id", "question", "question_spoken"]))
        rows = rows[:limit] if limit is not None else rows
        items = [{"id": r["id"], "text": spoken_text(r)} for r in rows if spoken_text(r)]
        total += len(items)
        for start in range(0, len(items), config.shard_size):
            path = directory / AUDIO_DIR / split / f"shard-{start // config.shard_size:05d}.parquet"
            shards.append((path, items[start : start + config.shard_size], split))
    if total == 0:
        raise DatasetError(f"dataset {directory} has no questions to speak in {', '.join(splits)}")
    return shards


def _check_stamp(directory: Path, config: AudioConfig, force: bool) -> None:
    """Clips in `audio/` must come from this audio config; --force discards them."""
    import shutil

    stamp = directory / AUDIO_DIR / STAMP
    if stamp.is_file():
        try:
            previous = json.loads(stamp.read_text()).get("fingerprint")
        except (json.JSONDecodeError, UnicodeDecodeError):
            previous = None
        if previous != config.fingerprint():
            if not force:
                raise DatasetError(
                    f"{directory / AUDIO_DIR} holds clips from another audio config; pass --force to discard them"
                )
            shutil.rmtree(directory / AUDIO_DIR)
    atomic_write_json(stamp, {"fingerprint": config.fingerprint(), "config": config.to_dict()})


def speak_dataset(
    directory: str | Path,
    config: AudioConfig,
    splits: list[str] | None = None,
    limit_per_split: int | None = None,
    workers: int = 1,
    verify: str | None = None,
    force: bool = False,
    progress: bool = True,
) -> dict:
    """Speak (or finish speaking) the questions of a built dataset; returns the audio summary."""
    from tqdm import tqdm

    directory = Path(directory)
    manifest = read_manifest(directory)
    verify = verify or config.verify
    if limit_per_split is not None and limit_per_split < 1:
        raise DatasetError(f"--limit-per-split must be >= 1, got {limit_per_split}")
    if workers < 1:
        raise DatasetError(f"--workers must be >= 1, got {workers}")
    check_voices(config)
    shards = _plan(directory, manifest, config, splits, limit_per_split)
    _check_stamp(directory, config, force)

    kill_after = int(os.environ.get("OMNI_REASONER_KILL_AFTER_SHARDS", "0"))  # the resume test
    bar = tqdm(
        total=sum(len(s[1]) for s in shards), desc="speak", unit="clip", disable=not progress
    )
    t0, done, written = time.time(), 0, 0
    jobs = [(str(p), items, split, config.verified(split, verify)) for p, items, split in shards]
    if workers == 1:
        speaker = Speaker(config)
        for path, items, split, check in jobs:
            n = speak_shard(speaker, Path(path), items, split, check)
            done += n
            written += n > 0
            bar.update(len(items))
            if kill_after and written >= kill_after:
                os.kill(os.getpid(), signal.SIGKILL)
    else:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, as_completed

        context = multiprocessing.get_context("spawn")  # no forked espeak/onnx/ct2 state
        with ProcessPoolExecutor(workers, mp_context=context) as pool:
            futures = [pool.submit(_worker_task, config, *job) for job in jobs]
            for future in as_completed(futures):
                n, size = future.result()
                done += n
                bar.update(size)
    bar.close()
    seconds = time.time() - t0

    summary = summarize(directory, config, shards, verify)
    summary["last_run"] = {"clips_done": done, "seconds": round(seconds, 2), "workers": workers}
    manifest = read_manifest(directory)
    previous = manifest.get("audio") or {}
    if previous.get("fingerprint") == summary["fingerprint"]:  # splits spoken by earlier runs stay
        summary["splits"] = previous.get("splits", {}) | summary["splits"]
    manifest["audio"] = summary
    atomic_write_json(directory / MANIFEST, manifest)
    return summary


# ---------------------------------------------------------------- reading and describing


def load_clips(
    directory: str | Path, split: str, columns: list[str] | None = None, dropped: bool = False
) -> list[dict]:
    """The stored clips of one split in speaking order (`columns` e.g. META_COLUMNS skips audio)."""
    folder = Path(directory) / AUDIO_DIR / split
    paths = sorted(folder.glob("shard-*.parquet"))
    if not paths:
        raise DatasetError(
            f"{directory} has no clips for split {split!r}: run `omni-reasoner data speak {directory}`"
        )
    wanted = None if columns is None else list(dict.fromkeys([*columns, "status"]))
    rows = [r for p in paths for r in read_parquet(p, wanted)]
    return rows if dropped else [r for r in rows if r["status"] == "ok"]


def _spread(values: list[float]) -> dict:
    if not values:
        return {}
    return {
        "min": round(min(values), 3),
        "max": round(max(values), 3),
        "mean": round(float(np.mean(values)), 3),
    }


def summarize(directory: Path, config: AudioConfig, shards: list[tuple], verify: str) -> dict:
    """Counts per split over the chosen clips: voices, variants, speeds, SNRs, checks."""
    by_split: dict[str, list[dict]] = {}
    for path, items, split in shards:
        wanted = {i["id"] for i in items}
        rows = [r for r in read_parquet(path, META_COLUMNS) if r["id"] in wanted]
        by_split.setdefault(split, []).extend(rows)
    splits = {}
    for split, rows in sorted(by_split.items()):
        ok = [r for r in rows if r["status"] == "ok"]
        checked = [r for r in rows if r["verify"] != "unchecked"]
        first_failed = [r for r in checked if r["rejected"]]
        splits[split] = {
            "pool": config.pool_for(split),
            "held_out": config.pool_for(split) != config.train_pool,
            "verified": config.verified(split, verify),
            "questions": len(rows),
            "clips": len(ok),
            "checked": len(checked),
            "passed": len(checked) - len(first_failed),
            "rerendered": sum(1 for r in first_failed if r["attempt"] > 0),
            "passed_after_rerender": sum(1 for r in first_failed if r["status"] == "ok"),
            "dropped": len(rows) - len(ok),
            "seconds": round(sum(r["num_samples"] for r in ok) / SAMPLE_RATE, 1),
            "engines": dict(sorted(Counter(r["engine"] for r in ok).items())),
            "voices": dict(sorted(Counter(f"{r['engine']}:{r['voice']}" for r in ok).items())),
            "variants": dict(sorted(Counter(r["variant"] or "(none)" for r in ok).items())),
            "rate": _spread([r["rate"] for r in ok]),
            "pitch": _spread([r["pitch"] for r in ok]),
            "snr_db": dict(
                sorted(
                    Counter(
                        "clean" if r["snr_db"] is None else f"{r['snr_db']:g}" for r in ok
                    ).items()
                )
            ),
            "noise": dict(sorted(Counter(r["noise"] or "(none)" for r in ok).items())),
            "reverb": {
                "clips": sum(1 for r in ok if r["reverb_rt60"] > 0),
                "rt60": _spread([r["reverb_rt60"] for r in ok if r["reverb_rt60"] > 0]),
            },
        }
    return {
        "format": FORMAT,
        "sample_rate": SAMPLE_RATE,
        "fingerprint": config.fingerprint(),
        "config": config.to_dict(),
        "train_pool": config.train_pool,
        "held_out": held_out_summary(config),
        "verify": verify,
        "splits": splits,
    }


def held_out_violations(directory: str | Path) -> list[str]:
    """Clips of training-pool splits that use a held-out voice or variant (should be none)."""
    manifest = read_manifest(directory)
    audio = manifest.get("audio")
    if not audio:
        raise DatasetError(
            f"{directory} has no audio summary: run `omni-reasoner data speak {directory}`"
        )
    held_voices = {v for pool in audio["held_out"].values() for v in pool["voices"]}
    held_variants = {x for pool in audio["held_out"].values() for x in pool["variants"]}
    problems = []
    for split, info in audio["splits"].items():
        if info["held_out"]:
            continue
        for r in load_clips(directory, split, ["id", "engine", "voice", "variant"]):
            if f"{r['engine']}:{r['voice']}" in held_voices or r["variant"] in held_variants:
                problems.append(f"{split}:{r['id']} uses {r['engine']}:{r['voice']}+{r['variant']}")
    return problems
