"""A build's shards as zero-copy row views, for the torch and Hugging Face datasets.

Both datasets (map-style and streaming) read through here, so a row is always a set of numpy views
into the mapped file (`ltdata.shards.reader` maps and checks it): opening a 100 GB build costs no memory.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import pyarrow as pa

from ltdata.errors import SchemaError
from ltdata.shards.reader import map_shard, read_manifest
from ltdata.shards.schema import COLUMN_NAMES, SCALAR_COLUMNS, TEXT_COLUMNS, TOKEN_COLUMNS


def as_directories(paths: str | Path | Sequence[str | Path]) -> list[Path]:
    """One or many build directories, as given (a single path is the common case)."""
    items = [paths] if isinstance(paths, (str, Path)) else list(paths)
    if not items:
        raise SchemaError("no shard directories given")
    return [Path(p) for p in items]


def read_manifests(directories: list[Path]) -> list[dict]:
    """Every directory's manifest (version-checked); all must share the special token ids."""
    manifests = [read_manifest(d) for d in directories]
    first = manifests[0].get("special_tokens")
    for directory, manifest in zip(directories[1:], manifests[1:]):
        if manifest.get("special_tokens") != first:
            raise SchemaError(f"{directory}: special token ids {manifest.get('special_tokens')} differ from "
                              f"{directories[0]}'s {first}; mix only builds made with the same tokenizer")
    return manifests


def shard_files(directory: Path, manifest: dict) -> list[Path]:
    return [directory / s["file"] for s in manifest["shards"]]


@dataclass(slots=True)
class Batch:
    """One record batch of a shard: zero-copy (offsets, values) per token column."""

    path: Path
    rows: int
    tokens: dict[str, tuple[np.ndarray, np.ndarray]]
    texts: dict[str, pa.Array]
    scalars: dict[str, np.ndarray]

    def row(self, r: int, columns: Sequence[str]) -> dict:
        out: dict = {}
        for name in columns:
            if name in self.tokens:
                offsets, values = self.tokens[name]
                out[name] = values[offsets[r]:offsets[r + 1]]
            elif name in self.texts:
                out[name] = self.texts[name][r].as_py()
            else:
                out[name] = self.scalars[name][r].item()
        return out


def open_shard(path: Path) -> list[Batch]:
    """One shard's record batches as zero-copy views."""
    reader = map_shard(path)
    return [_batch(path, reader.get_batch(b)) for b in range(reader.num_record_batches)]


def _batch(path: Path, batch: pa.RecordBatch) -> Batch:
    tokens = {}
    for name in TOKEN_COLUMNS:
        column = batch.column(name)
        tokens[name] = (np.asarray(column.offsets), column.values.to_numpy(zero_copy_only=True))
    return Batch(path=path, rows=batch.num_rows, tokens=tokens,
                 texts={name: batch.column(name) for name in TEXT_COLUMNS},
                 scalars={name: batch.column(name).to_numpy(zero_copy_only=False) for name in SCALAR_COLUMNS})


def check_columns(columns: Sequence[str] | None) -> tuple[str, ...]:
    if columns is None:
        return COLUMN_NAMES
    unknown = [c for c in columns if c not in COLUMN_NAMES]
    if unknown:
        raise SchemaError(f"unknown column(s) {', '.join(unknown)}; shard columns are {', '.join(COLUMN_NAMES)}")
    return tuple(columns)
