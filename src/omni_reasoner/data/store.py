"""Atomic writes and the on-disk layout of a built dataset.

Every file is written to a temporary name in the same folder and renamed into place,
so a killed build leaves either the old file or the new one, never half of one.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

FORMAT_VERSION = 1  # bump when the columns or their meaning change
MANIFEST = "manifest.json"


class DatasetError(ValueError):
    pass


def atomic_write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    umask = os.umask(0)
    os.umask(umask)
    try:
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; a dataset is for everyone to read
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_json(path: Path, obj) -> None:
    atomic_write_bytes(path, (json.dumps(obj, indent=2, sort_keys=True) + "\n").encode())


def atomic_write_parquet(path: Path, rows: list[dict], schema: pa.Schema) -> None:
    table = pa.Table.from_pylist(rows, schema=schema)
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    atomic_write_bytes(path, sink.getvalue().to_pybytes())


def read_parquet(path: Path, columns: list[str] | None = None) -> list[dict]:
    try:
        return pq.read_table(path, columns=columns).to_pylist()
    except (OSError, pa.ArrowInvalid) as exc:
        raise DatasetError(f"cannot read {path}: {str(exc).splitlines()[0]}") from None


def read_manifest(directory: str | Path) -> dict:
    """The manifest of a built dataset, checked to be one this version can read."""
    directory = Path(directory)
    path = directory / MANIFEST
    if not directory.is_dir():
        raise DatasetError(
            f"no dataset directory {directory}: build one with `omni-reasoner data build --out {directory}`"
        )
    if not path.is_file():
        raise DatasetError(
            f"{directory} holds no {MANIFEST} (empty or unfinished build): run `omni-reasoner data build --out {directory}`"
        )
    try:
        manifest = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DatasetError(f"{path} is not valid JSON ({exc}); rebuild the dataset") from None
    version = manifest.get("format_version") if isinstance(manifest, dict) else None
    if version != FORMAT_VERSION:
        raise DatasetError(
            f"{path} is dataset format version {version!r}; this omni-reasoner reads version {FORMAT_VERSION}: "
            "rebuild it with this version's `omni-reasoner data build`"
        )
    return manifest


def load_split(directory: str | Path, split: str, columns: list[str] | None = None) -> list[dict]:
    """Rows of one split; `columns` reads only those (the stored streams are large)."""
    manifest = read_manifest(directory)
    files = manifest.get("files", {})
    if split not in files:
        raise DatasetError(
            f"dataset {directory} has no split {split!r}; it has: {', '.join(sorted(files))}"
        )
    return read_parquet(Path(directory) / files[split]["path"], columns)
