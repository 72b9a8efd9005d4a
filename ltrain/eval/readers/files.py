"""Find a benchmark's files under `--data-dir` and read them as `Row`s, whatever the container.

Layout: dataset NAME is `DIR/NAME/` (every .jsonl/.json/.csv/.parquet file below it, sorted; files
whose path names another split such as `train` or `dev` are skipped) or a single file
`DIR/NAME.{jsonl,json,csv,parquet}`, or a `datasets.save_to_disk` directory `DIR/NAME`. JSONL and
CSV are parsed here (to keep line numbers for errors); Parquet and saved datasets go through
`datasets`, as their authors intend.
"""
from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any, Iterator

from ltdata.errors import ConfigError, Origin, RecordError
from ltrain.eval.readers.rows import Row

SUFFIXES = (".jsonl", ".json", ".csv", ".parquet")
OTHER_SPLITS = frozenset({"train", "dev", "val", "validation"})
DATASET_MARKERS = ("dataset_info.json", "state.json")
GPQA_HEADER = ("Question", "Correct Answer")


def dataset_root(name: str, data_dir: str | Path | None, path: str | Path | None = None) -> Path:
    """Where dataset `name` lives: an explicit `path`, or `data_dir/name` (a directory or a file)."""
    if path is not None:
        if not Path(path).exists():
            raise ConfigError(f"data: {name}={path} does not exist")
        return Path(path)
    if data_dir is None:
        raise ConfigError(f"data: no --data-dir and no --data {name}=PATH given for dataset {name!r}")
    base = Path(data_dir) / name
    candidates = [base] + [base.with_name(name + suffix) for suffix in SUFFIXES]
    found = [c for c in candidates if c.exists()]
    if not found:
        raise ConfigError(f"data: dataset {name!r} not found: expected {base}/ or {base}"
                          f"{{{','.join(SUFFIXES)}}} under --data-dir {data_dir}")
    return found[0]


def benchmark_files(root: Path) -> list[Path]:
    """The files of one dataset, in a deterministic order (see the module docstring)."""
    if root.is_file() or any((root / m).exists() for m in DATASET_MARKERS):
        return [root]
    files = [p for p in sorted(root.rglob("*")) if p.is_file() and p.suffix in SUFFIXES
             and not (OTHER_SPLITS & set(re.split(r"[/_.\-]+", p.relative_to(root).as_posix().lower())))]
    if not files:
        raise ConfigError(f"data: {root} holds no test-split {', '.join(SUFFIXES)} files")
    return files


def read_rows(path: Path, root: Path) -> Iterator[Row]:
    stem = "/".join(path.relative_to(root).with_suffix("").parts) if path != root else path.stem
    if path.is_dir():
        yield from _datasets_rows(path, stem, load="disk")
    elif path.suffix == ".jsonl":
        yield from _jsonl_rows(path, stem)
    elif path.suffix == ".json":
        yield from _json_rows(path, stem)
    elif path.suffix == ".csv":
        yield from _csv_rows(path, stem)
    else:
        yield from _datasets_rows(path, stem, load="parquet")


def _jsonl_rows(path: Path, stem: str) -> Iterator[Row]:
    with open(path, encoding="utf-8") as fh:
        index = 0
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            origin = Origin(str(path), index, number)
            try:
                data = json.loads(line)
            except json.JSONDecodeError as exc:
                raise RecordError(f"is not valid JSON ({exc})", origin=origin, reason="invalid_json") from None
            yield Row(data, origin, stem)
            index += 1


def _json_rows(path: Path, stem: str) -> Iterator[Row]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise RecordError(f"is not valid JSON ({exc})", origin=Origin(str(path), 0), reason="invalid_json") from None
    if isinstance(data, list):
        for i, record in enumerate(data):
            yield Row(record, Origin(str(path), i), stem)
    elif isinstance(data, dict) and isinstance(data.get("examples"), list):    # a BBH task file
        for i, record in enumerate(data["examples"]):
            yield Row(record, Origin(f"{path}:examples", i), stem, group=path.stem)
    elif isinstance(data, dict) and data and all(isinstance(v, list) for v in data.values()):  # LightThinker
        for group, records in data.items():
            for i, record in enumerate(records):
                yield Row(record, Origin(f"{path}:{group}", i), stem, group=group)
    else:
        raise RecordError("must be a list of records, a BBH task file ({'examples': [...]}) or a "
                          "LightThinker eval file ({task: [records]})", origin=Origin(str(path), 0))


def _csv_rows(path: Path, stem: str) -> Iterator[Row]:
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header: list[str] | None = None
        index = 0
        for values in reader:
            if header is None and index == 0 and all(h in values for h in GPQA_HEADER):
                header = values
                continue
            data: Any = dict(zip(header, values)) if header is not None else values
            yield Row(data, Origin(str(path), index, reader.line_num), stem)
            index += 1


def _datasets_rows(path: Path, stem: str, *, load: str) -> Iterator[Row]:
    import datasets

    if load == "disk":
        table = datasets.load_from_disk(str(path))
        if isinstance(table, datasets.DatasetDict):
            if "test" not in table:
                raise ConfigError(f"data: {path} is a DatasetDict without a 'test' split ({', '.join(table)})")
            table = table["test"]
    else:
        table = datasets.load_dataset("parquet", data_files=str(path), split="train")
    for i, record in enumerate(table):
        yield Row(record, Origin(str(path), i), stem)
