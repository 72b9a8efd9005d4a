"""Tiny user formats for the plugin-resolution tests (imported as `ltdata_test_plugin:...`)."""
from __future__ import annotations

from ltdata.errors import Origin
from ltdata.records import Trace


class QAFormat:
    """Question/answer records whose whole `a` is compressed."""

    name = "qa"

    def __init__(self, *, fields: dict[str, str] | None = None):
        self.fields = dict(fields or {})

    def detect(self, record: dict) -> bool:
        return self.fields.get("prompt", "q") in record

    def to_trace(self, record: dict, origin: Origin) -> Trace:
        return Trace(prompt=record[self.fields.get("prompt", "q")], reasoning=record["a"], origin=origin)


class NoFieldsFormat(QAFormat):
    """Like QAFormat, but its constructor takes no `fields`."""

    def __init__(self):
        super().__init__()


class NotAFormat:
    """Has no detect/to_trace."""


def broken_factory():
    raise RuntimeError("boom")
