"""Reader contracts: files become raw records, formats turn raw records into `Trace`s.

Two small steps keep each one testable and pluggable: a *source* knows only a file type
(JSONL, JSON, Parquet, a `datasets` directory) and yields dicts with their `Origin`; a *format*
knows only a record layout (Bespoke, ShareGPT, ...) and builds a `Trace` or raises `RecordError`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from ltdata.errors import Origin, RecordError
from ltdata.records import Trace


@dataclass(frozen=True, slots=True)
class RawRecord:
    """A record as read from a file: its parsed value, or the error that prevented parsing."""

    origin: Origin
    value: dict[str, Any] | None
    error: RecordError | None = None


@runtime_checkable
class Format(Protocol):
    """Turns one raw record into a `Trace`.

    `name` is what `--format` and the manifest call it; `detect` says whether a record looks like
    this format (used by `--format auto`); `to_trace` raises `RecordError` (with origin, record id and
    field) on anything malformed, and never returns a partial trace.
    """

    name: str

    def detect(self, record: dict[str, Any]) -> bool: ...

    def to_trace(self, record: dict[str, Any], origin: Origin) -> Trace: ...
