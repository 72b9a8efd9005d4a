"""ltdata builds as a Hugging Face `datasets.Dataset`, memory-mapped and without a cache copy.

Shards are Arrow IPC *files* (random access, what polars `scan_ipc` and `pyarrow.ipc.open_file`
read); `datasets.Dataset.from_file` reads only the IPC *stream* format, and `load_dataset("arrow")`
converts into its cache. This wraps the mapped tables directly: zero copy, any size.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Sequence

import pyarrow as pa

from ltdata.loading.shards import as_directories, check_columns, read_manifests, shard_files
from ltdata.shards.reader import read_columns
from ltdata.shards.schema import shard_schema


def hf_dataset(paths: str | Path | Sequence[str | Path], *, columns: Sequence[str] | None = None):
    """A `datasets.Dataset` over one or many build directories (checked like `ShardDataset`)."""
    from datasets import Dataset
    from datasets.table import InMemoryTable

    directories = as_directories(paths)
    names = list(check_columns(columns))
    tables = []
    manifests = read_manifests(directories)
    for directory, manifest in zip(directories, manifests):
        tables += [read_columns(path, names) for path in shard_files(directory, manifest)]
    table = pa.concat_tables(tables) if tables else shard_schema().empty_table().select(names)
    # fingerprinted from the manifests, so datasets never hashes the (possibly huge) table itself
    seed = json.dumps([[str(d.resolve()), m.get("fingerprint")] for d, m in zip(directories, manifests)] + [names])
    return Dataset(InMemoryTable(table), fingerprint=hashlib.sha256(seed.encode()).hexdigest()[:16])
