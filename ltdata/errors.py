"""Typed errors shared by the CLI and the library.

Every failure a user can cause has its own type, and every message names the place: the file and
line (or row), the record id and the field, so a bad record in a million is found in one look.
"""
from __future__ import annotations

from dataclasses import dataclass


class LtdataError(Exception):
    """Base of every error ltdata raises on purpose; the CLI prints it as one line."""


class ConfigError(LtdataError):
    """A configuration value (flag, YAML key or Python argument) is invalid.

    Holds every problem found, so `ltdata validate` can report them all at once.
    """

    def __init__(self, problems: list[str] | str):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("; ".join(self.problems))

    def __reduce__(self):
        return (type(self), (self.problems,))


class SchemaError(LtdataError):
    """A shard, manifest or example does not follow the shard schema."""


class PluginError(LtdataError):
    """A user plugin (format or splitter) cannot be loaded or broke its contract."""


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a record came from: file plus line (JSONL) or index (JSON, Parquet, datasets)."""

    file: str
    index: int
    line: int | None = None

    def __str__(self) -> str:
        if self.line is not None:
            return f"{self.file}:{self.line}"
        return f"{self.file}[{self.index}]"


class RecordError(LtdataError):
    """One input record is malformed; `reason` is a short code counted in the manifest."""

    def __init__(self, message: str, *, origin: Origin | None = None, record_id: str | None = None,
                 field: str | None = None, reason: str = "invalid_record"):
        self.message = message
        self.origin = origin
        self.record_id = record_id
        self.field = field
        self.reason = reason
        super().__init__(self._render())

    def _render(self) -> str:
        where = str(self.origin) if self.origin else "<input>"
        if self.record_id is not None:
            where += f" (id={self.record_id!r})"
        what = f"field {self.field!r} {self.message}" if self.field else self.message
        return f"{where}: {what}"

    def __reduce__(self):
        return (_rebuild_record_error, (self.message, self.origin, self.record_id, self.field, self.reason))

    def to_reject(self) -> dict:
        """The line written to rejects.jsonl for a skipped record."""
        return {"file": self.origin.file if self.origin else None,
                "line": self.origin.line if self.origin else None,
                "index": self.origin.index if self.origin else None,
                "record_id": self.record_id, "field": self.field,
                "reason": self.reason, "error": str(self)}


def _rebuild_record_error(message, origin, record_id, field, reason) -> RecordError:
    return RecordError(message, origin=origin, record_id=record_id, field=field, reason=reason)
