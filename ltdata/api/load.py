"""`ltdata.load`: a finished build as a `datasets.Dataset`, memory-mapped, for HF Trainer / TRL users.

Shards are Arrow IPC *files* (random access, what polars `scan_ipc` reads), while
`datasets.Dataset.from_file` reads only the IPC *stream* format; so each shard is memory-mapped with
pyarrow and the zero-copy tables are handed to `Dataset` directly. Nothing is copied into RAM or into
the HF cache; the fingerprint comes from the manifest, so nothing is hashed either.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.ipc as ipc

from ltdata.shards.manifest import read_manifest, shard_paths
from ltdata.shards.schema import check_version, shard_schema

if TYPE_CHECKING:
    import datasets


def load(directory: str | os.PathLike) -> datasets.Dataset:
    """The rows of every shard the manifest lists, in order, as one memory-mapped `datasets.Dataset`."""
    import datasets     # here: slow to import, and only this needs it

    manifest = read_manifest(directory)
    tables = []
    for path in shard_paths(directory):
        reader = ipc.open_file(pa.memory_map(str(path)))
        version = (reader.schema.metadata or {}).get(b"ltdata.schema_version", b"").decode() or None
        check_version(version, where=str(path))
        tables.append(reader.read_all())
    table = pa.concat_tables(tables) if tables else shard_schema().empty_table()
    seed = f"ltdata.load:{Path(directory).resolve()}:{manifest['fingerprint']}"
    return datasets.Dataset(table, fingerprint=hashlib.sha256(seed.encode()).hexdigest()[:16])
