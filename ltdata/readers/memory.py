"""In-memory records (a polars DataFrame, a `datasets.Dataset`, any iterable of dicts or `Trace`s) as slice files.

Build tasks run on Dask workers, which read files; so records held by the caller are written first,
one slice of `shard_size` records at a time (memory stays flat for any generator), as pickles beside
the shards. A task then reads its slice like any other input. Origins are `<memory>[i]`, i being the
row index (a `Trace` that carries its own origin keeps it).
"""
from __future__ import annotations

import hashlib
import os
import pickle
import sys
from collections.abc import Iterable, Iterator, Mapping
from itertools import islice
from pathlib import Path
from typing import Any

from ltdata.atomic import atomic_write_bytes
from ltdata.errors import ConfigError, Origin, RecordError
from ltdata.readers.base import RawRecord
from ltdata.records import Trace
from ltdata.storage import open_file

MEMORY = "<memory>"
SLICE_SUFFIX = ".records.pkl"


def is_memory_source(source: Any) -> bool:
    """True for records held in memory; False for file paths (str, Path, or a list of them)."""
    if isinstance(source, (str, os.PathLike)):
        return False
    return not (isinstance(source, (list, tuple)) and source and all(isinstance(s, (str, os.PathLike)) for s in source))


def record_slices(source: Any, size: int) -> Iterator[list[Any]]:
    """The source's records in lists of at most `size` (the last may be shorter)."""
    polars, datasets = sys.modules.get("polars"), sys.modules.get("datasets")
    if polars is not None and isinstance(source, polars.LazyFrame):
        raise ConfigError("source: a polars LazyFrame; collect() it first (or write it to Parquet and build "
                          "from the file, which is streamed)")
    if polars is not None and isinstance(source, polars.DataFrame):
        for start in range(0, source.height, size):
            yield source.slice(start, size).to_dicts()
        return
    if datasets is not None and isinstance(source, datasets.DatasetDict):
        raise ConfigError(f"source: a DatasetDict (splits: {', '.join(source)}); pass one split, e.g. data['train']")
    if datasets is not None and isinstance(source, datasets.Dataset):
        for start in range(0, len(source), size):
            yield source.select(range(start, min(start + size, len(source)))).to_list()
        return
    if isinstance(source, (Mapping, Trace, bytes)) or not isinstance(source, Iterable):
        raise ConfigError(f"source: expected file paths, a polars DataFrame, a datasets.Dataset or an iterable of "
                          f"dicts or ltdata.Traces, got {type(source).__name__}"
                          + (" (one record: wrap it in a list)" if isinstance(source, (Mapping, Trace)) else ""))
    iterator = iter(source)
    while chunk := list(islice(iterator, size)):
        yield chunk


def stage_records(source: Any, directory: Path, size: int) -> tuple[list[tuple[str, int, int]], str]:
    """Write the source in slices to `directory`; return `[(path, start, stop)]` and a content hash.

    The hash covers every slice's bytes, so resuming with the same records finds the same plan.
    """
    directory.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    slices, start = [], 0
    for number, records in enumerate(record_slices(source, size)):
        payload = _pickle_slice(records, start)
        path = directory / f"{number:05d}{SLICE_SUFFIX}"
        atomic_write_bytes(path, payload)
        digest.update(payload)
        slices.append((str(path), start, start + len(records)))
        start += len(records)
    return slices, "sha256:" + digest.hexdigest()


def _pickle_slice(records: list[Any], start: int) -> bytes:
    values = [dict(r) if isinstance(r, Mapping) and not isinstance(r, dict) else r for r in records]
    try:
        return pickle.dumps({"start": start, "records": values}, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:
        for offset, value in enumerate(values):
            try:
                pickle.dumps(value)
            except Exception as exc:
                raise RecordError(f"cannot be handed to the build's workers (not picklable: {type(exc).__name__}: "
                                  f"{exc})", origin=Origin(file=MEMORY, index=start + offset),
                                  reason="wrong_type") from None
        raise


def read_memory(path: str, start: int, stop: int,
                storage_options: Mapping[str, Any] | None = None) -> Iterator[RawRecord]:
    """Records `start`..`stop` of a staged slice file (local, or beside a build on a store), each with its
    `<memory>[i]` origin."""
    with open_file(path, "rb", storage_options) as f:
        staged = pickle.load(f)
    first = staged["start"]
    for index in range(max(start, first), min(stop, first + len(staged["records"]))):
        value = staged["records"][index - first]
        origin = value.origin if isinstance(value, Trace) and value.origin else Origin(file=MEMORY, index=index)
        if isinstance(value, (dict, Trace)):
            yield RawRecord(origin, value)
        else:
            yield RawRecord(origin, None, RecordError(
                f"record must be a dict or an ltdata.Trace, got {type(value).__name__}", origin=origin,
                reason="wrong_type"))


def count_memory(path: str, storage_options: Mapping[str, Any] | None = None) -> int:
    with open_file(path, "rb", storage_options) as f:
        return len(pickle.load(f)["records"])
