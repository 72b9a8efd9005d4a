"""File types: expand input paths, plan them into slices of records, and read a slice as `RawRecord`s.

A slice is one task's input, so it must be cheap to start anywhere: JSONL seeks to a byte offset found
by one scan at plan time, Parquet reads only overlapping row groups, `datasets` dirs are memory-mapped.
Paths may be URLs (`s3://`, `hf://`, ... through `ltdata.storage`): a slice carries the URL, never data,
so each worker reads its own slice straight from the store.
JSON is not streamed (parsed whole once per slice): prefer JSONL or Parquet for large inputs.
Records handed over in memory are staged as slice files first (`ltdata.readers.memory`, kind `memory`).
"""
from __future__ import annotations

import json
import os
import posixpath
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pyarrow.parquet as pq

from ltdata.errors import ConfigError, Origin, RecordError
from ltdata.readers.base import RawRecord
from ltdata.readers.memory import count_memory, read_memory
from ltdata.storage import expand_glob, has_magic, info, is_url, join, open_file, reporting, resolve

SourceKind = Literal["jsonl", "json", "parquet", "datasets", "memory"]
SUFFIXES: dict[str, SourceKind] = {
    ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".parquet": "parquet"}
DATASET_MARKERS = ("dataset_info.json", "state.json", "dataset_dict.json")
Options = Mapping[str, Any] | None   # fsspec storage_options for URLs (credentials stay out of slices)


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceSlice:
    """One task's input: records `start` (inclusive) to `stop` (exclusive) of one file."""

    path: str
    kind: SourceKind
    start: int
    stop: int
    byte_offset: int = 0    # jsonl: byte offset of record `start`
    first_line: int = 1     # jsonl: 1-based line number of record `start`


def expand_inputs(paths: Sequence[str], *, storage_options: Options = None) -> list[tuple[str, SourceKind]]:
    """`[(path, kind)]` for files, directories, glob patterns and URLs, in a deterministic order.

    A directory holding `dataset_info.json`, `state.json` or `dataset_dict.json` is a `datasets`
    directory; any other directory stands for its files with known suffixes, sorted. Glob matches
    are sorted. Repeats are dropped (first occurrence kept). Every bad input is reported at once.
    """
    found: dict[str, SourceKind] = {}
    problems: list[str] = []
    for given in paths:
        try:
            matches = expand_glob(given, storage_options) if has_magic(given) else [given]
        except ConfigError as exc:
            problems += exc.problems
            continue
        if not matches:
            problems.append(f"input {given!r} matches no files")
        for path in matches:
            try:
                for file, kind in _expand_one(path, storage_options):
                    found.setdefault(file, kind)
            except ConfigError as exc:
                problems += exc.problems
    if problems:
        raise ConfigError(problems)
    if not found:
        raise ConfigError("no input files given")
    return list(found.items())


def _expand_one(path: str, storage_options: Options) -> list[tuple[str, SourceKind]]:
    found = info(path, storage_options)
    if found is None:
        raise ConfigError(f"input {path!r} does not exist")
    if found["type"] != "directory":
        if _suffix(path) not in SUFFIXES:
            raise ConfigError(f"input {path!r} has an unknown suffix; expected {', '.join(SUFFIXES)} "
                              "or a datasets directory")
        return [(path, SUFFIXES[_suffix(path)])]
    fs, directory = resolve(path, storage_options)
    with reporting(path):
        listed = fs.ls(directory, detail=True)
    children = sorted((posixpath.basename(child["name"].rstrip("/")), child["type"]) for child in listed)
    if any(name in DATASET_MARKERS for name, _ in children):
        return [(path, "datasets")]
    files = [(join(path, name), SUFFIXES[_suffix(name)]) for name, kind in children
             if kind == "file" and _suffix(name) in SUFFIXES]
    if not files:
        raise ConfigError(f"input directory {path!r} holds no {', '.join(SUFFIXES)} files")
    return files


def _suffix(path: str) -> str:
    return os.path.splitext(path)[1].lower()


def plan_slices(paths: Sequence[str], records_per_slice: int, *,
                storage_options: Options = None) -> list[SourceSlice]:
    """Cut every input into slices of at most `records_per_slice` records (one slice per task)."""
    if records_per_slice < 1:
        raise ConfigError(f"records_per_slice must be at least 1, got {records_per_slice}")
    pieces: list[SourceSlice] = []
    for path, kind in expand_inputs(paths, storage_options=storage_options):
        if kind == "jsonl":
            with reporting(path):
                marks, total = _scan_jsonl(path, records_per_slice, storage_options)
            bounds = [*(index for index, _, _ in marks), total]
            pieces += [SourceSlice(path=path, kind=kind, start=index, stop=stop, byte_offset=offset,
                                   first_line=line) for (index, offset, line), stop in zip(marks, bounds[1:])]
        else:
            total = count_records(path, kind, storage_options=storage_options)
            pieces += [SourceSlice(path=path, kind=kind, start=start,
                                   stop=min(start + records_per_slice, total))
                       for start in range(0, total, records_per_slice)]
    return pieces


def read_slice(piece: SourceSlice, *, storage_options: Options = None) -> Iterator[RawRecord]:
    """The slice's records in file order, each with its `Origin`; parse failures come as `error`s."""
    if piece.kind not in _READERS:
        raise ConfigError(f"{piece.path}: unknown source kind {piece.kind!r}; expected {', '.join(_READERS)}")
    return _reported(piece.path, _READERS[piece.kind](piece, storage_options))


def _reported(path: str, records: Iterator[RawRecord]) -> Iterator[RawRecord]:
    with reporting(path):
        yield from records


def first_record(path: str, kind: SourceKind, *, storage_options: Options = None) -> RawRecord | None:
    """The file's first record (for `--format auto`), or None if it has none."""
    piece = SourceSlice(path=path, kind=kind, start=0, stop=1)
    return next(read_slice(piece, storage_options=storage_options), None)


def count_records(path: str, kind: SourceKind, *, storage_options: Options = None) -> int:
    """How many records the file holds (JSONL: non-blank lines)."""
    with reporting(path):
        if kind == "jsonl":
            return _scan_jsonl(path, 0, storage_options)[1]
        if kind == "json":
            return len(_load_json(path, storage_options))
        if kind == "parquet":
            with _parquet_file(path, storage_options) as pf:
                return pf.metadata.num_rows
        if kind == "memory":
            return count_memory(path, storage_options)
        return len(_load_dataset(path, storage_options))


def input_identity(files: Sequence[str], *, storage_options: Options = None) -> list[list[Any]]:
    """`[path, size, version]` per input file, so a changed input changes the build's fingerprint.

    Local files: size and mtime in ns (as `os.stat` gives them); URLs: size and the store's version
    of the object (ETag, else modification time) from fsspec's `info`.
    """
    identity: list[list[Any]] = []
    for path in files:
        if not is_url(path):
            stat = os.stat(path)
            identity.append([path, stat.st_size, stat.st_mtime_ns])
            continue
        found = info(path, storage_options)
        if found is None:
            raise ConfigError(f"input {path!r} does not exist")
        version = next((found[key] for key in _VERSION_KEYS if found.get(key) is not None), None)
        identity.append([path, found.get("size"), None if version is None else str(version)])
    return identity


# What changes when an object is rewritten, by filesystem: s3fs, gcsfs, huggingface_hub, http, local.
_VERSION_KEYS = ("ETag", "etag", "md5Hash", "blob_id", "LastModified", "updated", "last_modified", "mtime")


# --- JSONL: one binary scan at plan time, then seek + stream per slice -------------------------

def _scan_jsonl(path: str, every: int, storage_options: Options) -> tuple[list[tuple[int, int, int]], int]:
    """`(index, byte_offset, line)` of every `every`-th record (none if 0), and the record count.

    Blank (whitespace-only) lines are not records but still count as lines.
    """
    marks, index, offset = [], 0, 0
    with open_file(path, "rb", storage_options) as f:
        for line_number, line in enumerate(f, start=1):
            if line.strip():
                if every and index % every == 0:
                    marks.append((index, offset, line_number))
                index += 1
            offset += len(line)
    return marks, index


def _read_jsonl(piece: SourceSlice, storage_options: Options) -> Iterator[RawRecord]:
    index, line_number = piece.start, piece.first_line
    with open_file(piece.path, "rb", storage_options) as f:
        f.seek(piece.byte_offset)
        for line in f:
            if index >= piece.stop:
                return
            if line.strip():
                yield _parse_line(line, Origin(file=piece.path, index=index, line=line_number))
                index += 1
            line_number += 1


def _parse_line(line: bytes, origin: Origin) -> RawRecord:
    try:
        text = line.rstrip(b"\r\n").decode("utf-8")
    except UnicodeDecodeError as exc:
        return RawRecord(origin, None, RecordError(
            f"line is not valid UTF-8 ({exc.reason} at byte {exc.start})", origin=origin, reason="bad_utf8"))
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        return RawRecord(origin, None, RecordError(
            f"invalid JSON: {exc.msg} at column {exc.colno}", origin=origin, reason="invalid_json"))
    return _as_record(value, origin)


def _as_record(value: Any, origin: Origin, what: str = "record") -> RawRecord:
    if isinstance(value, dict):
        return RawRecord(origin, value)
    got = "null" if value is None else type(value).__name__
    return RawRecord(origin, None, RecordError(f"{what} must be a JSON object, got {got}", origin=origin,
                                               reason="wrong_type"))


# --- JSON: an array of records, or an object mapping keys to records ----------------------------

def _load_json(path: str, storage_options: Options) -> list[tuple[str | None, Any]]:
    """`[(key or None, value)]`; keys come from an object-of-records file (SkyThought tools output)."""
    try:
        with open_file(path, "r", storage_options, encoding="utf-8") as f:
            data = json.load(f)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"input {path!r} is not a readable JSON file: {exc}") from exc
    if isinstance(data, list):
        return [(None, value) for value in data]
    if isinstance(data, dict):
        return list(data.items())
    raise ConfigError(f"input {path!r} must hold a JSON array of records or an object mapping keys to "
                      f"records, got {type(data).__name__}")


def _read_json(piece: SourceSlice, storage_options: Options) -> Iterator[RawRecord]:
    items = _load_json(piece.path, storage_options)
    for index in range(piece.start, min(piece.stop, len(items))):
        key, value = items[index]
        origin = Origin(file=piece.path, index=index)
        if key is not None and isinstance(value, dict):
            value = {**value, "__key__": key}
        yield _as_record(value, origin, "record" if key is None else f"value of key {key[:60]!r}")


# --- Parquet: only the row groups that overlap the slice ----------------------------------------

def _parquet_file(path: str, storage_options: Options) -> pq.ParquetFile:
    """Local paths through Arrow's own file system, URLs through their fsspec filesystem."""
    if not is_url(path):
        return pq.ParquetFile(path)
    fs, inner = resolve(path, storage_options)
    return pq.ParquetFile(inner, filesystem=fs)


def _read_parquet(piece: SourceSlice, storage_options: Options) -> Iterator[RawRecord]:
    with _parquet_file(piece.path, storage_options) as pf:
        yield from _parquet_records(pf, piece)


def _parquet_records(pf: pq.ParquetFile, piece: SourceSlice) -> Iterator[RawRecord]:
    groups, row, first_row = [], 0, 0
    for group in range(pf.num_row_groups):
        rows = pf.metadata.row_group(group).num_rows
        if row < piece.stop and row + rows > piece.start:
            first_row = first_row if groups else row
            groups.append(group)
        row += rows
    if not groups:
        return
    row = first_row
    batch_size = max(1, min(piece.stop - piece.start, 4096))
    for batch in pf.iter_batches(batch_size=batch_size, row_groups=groups):
        lo, hi = max(piece.start - row, 0), min(piece.stop - row, batch.num_rows)
        for offset, value in enumerate(batch.slice(lo, max(hi - lo, 0)).to_pylist()):
            yield RawRecord(Origin(file=piece.path, index=row + lo + offset), value)
        row += batch.num_rows
        if row >= piece.stop:
            return


# --- datasets: a `save_to_disk` directory, memory-mapped --------------------------------------

def _load_dataset(path: str, storage_options: Options) -> Any:
    """The `Dataset` saved at `path`; for a saved `DatasetDict`, its `train` split.

    A remote directory is downloaded whole by `datasets` for every slice: prefer Parquet on a store.
    """
    from datasets import DatasetDict, load_from_disk  # imported here: slow, and only this kind needs it
    data = load_from_disk(path, storage_options=dict(storage_options) if storage_options else None)
    if isinstance(data, DatasetDict):
        if "train" not in data:
            raise ConfigError(f"input {path!r} is a DatasetDict without a 'train' split "
                              f"(splits: {', '.join(data)}); point at one split's directory instead")
        data = data["train"]
    return data


def _read_datasets(piece: SourceSlice, storage_options: Options) -> Iterator[RawRecord]:
    data = _load_dataset(piece.path, storage_options)
    stop = min(piece.stop, len(data))
    if piece.start >= stop:
        return
    for index, value in enumerate(data.select(range(piece.start, stop)), start=piece.start):
        yield RawRecord(Origin(file=piece.path, index=index), value)


def _read_memory(piece: SourceSlice, storage_options: Options) -> Iterator[RawRecord]:
    return read_memory(piece.path, piece.start, piece.stop, storage_options)


_READERS = {"jsonl": _read_jsonl, "json": _read_json, "parquet": _read_parquet, "datasets": _read_datasets,
            "memory": _read_memory}
