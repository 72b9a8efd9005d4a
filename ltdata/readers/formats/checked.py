"""A user's format plugin with its contract checked on every record.

The built-ins are tested; a plugin is not, so its output is checked where it is made: `to_trace` must
return a `Trace` (else `PluginError` naming the plugin and the record), any exception other than
`RecordError` is a `PluginError` too, and the trace's fields go through `check_trace` (which also
fills in the origin and record id a plugin may leave out).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ltdata.errors import LtdataError, Origin, PluginError
from ltdata.readers.base import Format
from ltdata.readers.formats.trace import check_trace
from ltdata.records import Trace


@dataclass(frozen=True)
class CheckedFormat:
    """Wraps a plugin `Format`; attributes other than `detect`/`to_trace` are the plugin's own."""

    inner: Format
    label: str

    def __getattr__(self, attribute: str) -> Any:
        if attribute.startswith("__") or attribute in ("inner", "label"):
            raise AttributeError(attribute)
        return getattr(self.inner, attribute)

    @property
    def name(self) -> str:
        return self.inner.name

    def detect(self, record: dict[str, Any]) -> bool:
        try:
            return bool(self.inner.detect(record))
        except Exception as exc:
            raise PluginError(f"format {self.label!r}: detect() failed: {type(exc).__name__}: {exc}") from exc

    def to_trace(self, record: dict[str, Any], origin: Origin) -> Trace:
        try:
            trace = self.inner.to_trace(record, origin)
        except LtdataError:
            raise
        except Exception as exc:
            raise PluginError(f"format {self.label!r} failed on the record at {origin}: "
                              f"{type(exc).__name__}: {exc} (a format raises RecordError for bad records)") from exc
        if not isinstance(trace, Trace):
            raise PluginError(f"format {self.label!r} returned {type(trace).__name__} for the record at {origin}; "
                              "to_trace must return an ltdata.Trace")
        return check_trace(trace, origin, by=self.label)
