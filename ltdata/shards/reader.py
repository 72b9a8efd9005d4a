"""Read a build: its manifest and its Arrow shards, memory-mapped and checked against the schema version.

This is the only code that opens shard files, so the version rule (any 1.x, nothing else), the
column check and the error for an unreadable file are written once. Files are mapped, never
loaded: reading a column of a 100 GB build costs page cache, not memory.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Iterator, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.ipc as ipc

from ltdata.errors import SchemaError
from ltdata.shards.schema import COLUMN_NAMES, MANIFEST, SCHEMA_VERSION, TOKEN_COLUMNS, shard_schema

if TYPE_CHECKING:
    import polars as pl

VERSION_KEY = b"ltdata.schema_version"


def check_version(version: str | None, *, where: str) -> None:
    """Refuse shards or manifests whose major schema version this ltdata cannot read."""
    if version is None:
        raise SchemaError(f"{where}: no schema version (not an ltdata shard?)")
    major = SCHEMA_VERSION.split(".")[0]
    if version.split(".")[0] != major:
        raise SchemaError(f"{where}: schema version {version} is not readable by this ltdata (reads {major}.x)")


def read_manifest(directory: str | Path) -> dict:
    """Load and version-check a build's manifest."""
    path = Path(directory) / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SchemaError(f"{directory}: no {MANIFEST} (not an ltdata output, or the build did not finish)") from None
    except json.JSONDecodeError as exc:
        raise SchemaError(f"{path}: invalid JSON: {exc}") from None
    check_version(manifest.get("schema_version"), where=str(path))
    return manifest


def shard_paths(directory: str | Path) -> list[Path]:
    """The shard files a finished build lists, in order."""
    directory = Path(directory)
    return [directory / s["file"] for s in read_manifest(directory)["shards"]]


def _map(path: Path) -> ipc.RecordBatchFileReader:
    try:
        return ipc.open_file(pa.memory_map(str(path)))
    except (OSError, pa.ArrowInvalid) as exc:
        raise SchemaError(f"{path}: not a readable Arrow IPC file: {exc}") from None


def map_shard(path: Path) -> ipc.RecordBatchFileReader:
    """One shard, memory-mapped, after checking its schema version and that it has every column."""
    reader = _map(path)
    version = (reader.schema.metadata or {}).get(VERSION_KEY)
    check_version(version.decode() if version else None, where=str(path))
    missing = [c for c in COLUMN_NAMES if c not in reader.schema.names]
    if missing:
        raise SchemaError(f"{path}: missing column(s) {', '.join(missing)}")
    return reader


def record_batches(paths: Iterable[Path]) -> Iterator[pa.RecordBatch]:
    """Every record batch of the shards in order, one mapped batch at a time."""
    for path in paths:
        reader = map_shard(path)
        for b in range(reader.num_record_batches):
            yield reader.get_batch(b)


def read_columns(path: Path, columns: Sequence[str]) -> pa.Table:
    """Some columns of one shard as a table of zero-copy views into the mapped file."""
    return map_shard(path).read_all().select(list(columns))


def flat_tokens(batch: pa.RecordBatch) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """(row offsets from 0, flat values per token column) of a record batch, zero-copy.

    Row r's tokens are `values[offsets[r]:offsets[r + 1]]`; every token column shares the offsets.
    """
    offsets = batch.column("role").offsets.to_numpy().astype(np.int64)
    return offsets - offsets[0], {name: batch.column(name).flatten().to_numpy() for name in TOKEN_COLUMNS}


def scan_shards(paths: Sequence[Path], columns: Sequence[str]) -> "pl.LazyFrame":
    """A lazy polars frame of some columns over the shards in order (each shard's version checked first)."""
    import polars as pl

    for path in paths:
        map_shard(path)
    if not paths:
        return pl.from_arrow(shard_schema().empty_table().select(list(columns))).lazy()
    return pl.scan_ipc([str(p) for p in paths]).select(columns)


def read_table(path: Path) -> pa.Table:
    """Any other Arrow IPC file ltdata writes (a curriculum's stage orders), memory-mapped; no shard checks."""
    return _map(path).read_all()
