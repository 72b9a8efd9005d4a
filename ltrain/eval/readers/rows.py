"""`Row`: one raw record from a benchmark file, with its origin, and the field checks readers share.

Readers never index raw records directly: `text()` and `field()` raise a `RecordError` that names
file, line and field, so a malformed benchmark file is found in one look, not by a KeyError.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ltdata.errors import Origin, RecordError


@dataclass(frozen=True, slots=True)
class Row:
    """A record (a dict, or a list for header-less CSV) and where it came from.

    `group` is the container's name for it: the BBH task of a task file, the task key of a
    LightThinker file; `stem` is the file's path below the dataset root, without suffix.
    """

    data: Any
    origin: Origin
    stem: str
    group: str | None = None

    def fail(self, message: str, field: str | None = None) -> RecordError:
        return RecordError(message, origin=self.origin, field=field, reason="invalid_benchmark_record")

    def mapping(self) -> dict[str, Any]:
        if not isinstance(self.data, dict):
            raise self.fail(f"must be an object, got {type(self.data).__name__}")
        return self.data

    def field(self, name: str) -> Any:
        data = self.mapping()
        if name not in data or data[name] is None:
            raise self.fail("is missing", name)
        return data[name]

    def text(self, name: str) -> str:
        value = self.field(name)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"must be a non-empty string, got {_show(value)}", name)
        return value

    def strings(self, name: str) -> tuple[str, ...]:
        value = self.field(name)
        if not isinstance(value, (list, tuple)) or not value or not all(isinstance(v, str) for v in value):
            raise self.fail(f"must be a non-empty list of strings, got {_show(value)}", name)
        return tuple(value)

    @property
    def subset(self) -> str:
        return self.group or self.stem.rsplit("/", 1)[-1]


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
