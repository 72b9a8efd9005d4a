"""Append-only JSONL files that survive a crash: read everything but a torn last line, then append.

Samples and manual verdicts are both written one line at a time (flushed and fsynced), so a killed
run loses at most the line being written; reading drops that torn tail and appending cuts it off
first, so the file stays valid JSONL. A bad line anywhere else is an error naming file and line.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, IO

from ltdata.atomic import atomic_path
from ltdata.errors import Origin, RecordError


def read_jsonl(path: str | Path) -> tuple[list[dict[str, Any]], int]:
    """(records, length in bytes of the intact part); a torn final line is dropped.

    A final line without a newline is kept when it parses (a hand-edited file), dropped otherwise.
    """
    path = Path(path)
    if not path.exists():
        return [], 0
    data = path.read_bytes()
    records: list[dict[str, Any]] = []
    start, number = 0, 0
    while start < len(data):
        end = data.find(b"\n", start)
        last = end < 0
        stop = len(data) if last else end + 1
        raw, number = data[start:stop], number + 1
        try:
            record = json.loads(raw) if raw.strip() else None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            if last:
                return records, start
            raise RecordError(f"is not valid JSON ({exc})", origin=Origin(str(path), number - 1, number),
                              reason="invalid_json") from None
        if record is not None:
            if not isinstance(record, dict):
                raise RecordError("must be a JSON object", origin=Origin(str(path), number - 1, number))
            records.append(record)
        start = stop
    return records, len(data)


def open_for_append(path: str | Path, intact_bytes: int) -> IO[str]:
    """Open `path` for appending after cutting it to its intact part (see `read_jsonl`)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() and path.stat().st_size != intact_bytes:
        with open(path, "r+b") as fh:
            fh.truncate(intact_bytes)
    fh = open(path, "a", encoding="utf-8")
    if intact_bytes and _last_byte(path) != b"\n":
        fh.write("\n")
    return fh


def _last_byte(path: Path) -> bytes:
    with open(path, "rb") as fh:
        fh.seek(-1, os.SEEK_END)
        return fh.read(1)


def append_line(fh: IO[str], record: dict[str, Any]) -> None:
    """Write one record and make it durable before returning."""
    fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    fh.flush()
    os.fsync(fh.fileno())


def write_jsonl_atomic(path: str | Path, records: list[dict[str, Any]]) -> None:
    """Replace `path` with `records` (temp file + rename), so readers never see a half-written file."""
    with atomic_path(path) as temporary, open(temporary, "w", encoding="utf-8") as fh:
        for record in records:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
        fh.flush()
        os.fsync(fh.fileno())
