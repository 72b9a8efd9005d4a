"""`Trace` objects, or dicts with `Trace`'s field names, as records: hand-made samples used as given.

Builds from in-memory `Trace`s read them through this format, and every plugin format's output goes
through `check_trace` too, so a hand-made trace with a wrong type or thoughts that do not add up to
its reasoning is a located `RecordError`, never an AttributeError deep in the layout.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from ltdata.errors import ConfigError, Origin, RecordError
from ltdata.readers.formats.fields import record_id, type_name
from ltdata.records import Trace

# name -> (accepted types, required); `thoughts` is checked item by item below.
TRACE_FIELDS: dict[str, tuple[tuple[type, ...], bool]] = {
    "prompt": ((str,), True), "reasoning": ((str,), False), "answer": ((str,), False),
    "system": ((str, type(None)), False), "preamble": ((str,), False), "thoughts": ((list, type(None)), False),
    "record_id": ((str, type(None)), False)}
# How `build` names this format to its tasks (an import path: it is not an auto-detected format).
TRACE_FORMAT = "ltdata.readers.formats.trace:TraceFormat"


class TraceFormat:
    """ltdata.Trace objects, or dicts of its fields (prompt, reasoning or thoughts, answer, system, preamble)."""

    name = "trace"

    def detect(self, record: Any) -> bool:
        return isinstance(record, Trace)

    def to_trace(self, record: Any, origin: Origin) -> Trace:
        if isinstance(record, Trace):
            return check_trace(replace(record), origin)
        if not isinstance(record, Mapping):
            raise RecordError(f"record must be an ltdata.Trace or a dict of its fields, got {type_name(type(record))}",
                              origin=origin, reason="wrong_type")
        rid = record.get("record_id") if isinstance(record.get("record_id"), str) else None
        unknown = sorted(set(map(str, record)) - set(TRACE_FIELDS))
        if unknown:
            raise RecordError(f"has unknown key(s) {', '.join(map(repr, unknown))}; a trace has "
                              f"{', '.join(TRACE_FIELDS)}", origin=origin, record_id=rid, field=unknown[0],
                              reason="unknown_field")
        _check_types(record, origin, rid, by=None)
        return check_trace(Trace(**record), origin)


def check_trace_options(format_name: str, fields: Mapping[str, str]) -> None:
    """Traces are records already: refuse a format or field mapping that would be silently ignored."""
    if format_name != "auto":
        raise ConfigError(f"format: {format_name!r} reads raw records; Traces need none (use format='auto')")
    if fields:
        raise ConfigError(f"fields: Traces need no field mapping, got {dict(fields)!r}")


def check_trace(trace: Trace, origin: Origin | None, *, by: str | None = None) -> Trace:
    """`trace` with its origin and record id filled in, or a `RecordError` naming the bad field.

    `by` names the plugin format that made the trace, so its author sees whose output was wrong.
    """
    where = trace.origin or origin or Origin(file="<memory>", index=0)
    rid = trace.record_id if isinstance(trace.record_id, str) and trace.record_id else None
    _check_types({name: getattr(trace, name) for name in TRACE_FIELDS}, where, rid, by=by)
    rid = rid or record_id({}, where, {})

    def fail(message: str, field: str, reason: str) -> RecordError:
        prefix = f"(from format {by!r}) " if by else ""
        return RecordError(prefix + message, origin=where, record_id=rid, field=field, reason=reason)

    if not trace.prompt.strip():
        raise fail("is empty", "prompt", "missing_field")
    if trace.thoughts is not None:
        if not trace.thoughts:
            raise fail("is an empty list", "thoughts", "empty_reasoning")
        for k, thought in enumerate(trace.thoughts):
            if not thought:
                raise fail("is empty", f"thoughts[{k}]", "empty_thought")
        joined = "".join(trace.thoughts)
        if joined != trace.reasoning:
            at = next((i for i, (a, b) in enumerate(zip(joined, trace.reasoning)) if a != b),
                      min(len(joined), len(trace.reasoning)))
            raise fail(f"do not concatenate to 'reasoning' (they differ at character {at}); give one of "
                       "them, or thoughts that join to the reasoning exactly", "thoughts", "invalid_record")
    if not trace.reasoning.strip():
        raise fail("has no reasoning text (empty or whitespace only)", "reasoning", "empty_reasoning")
    return replace(trace, origin=where, record_id=rid)


def _check_types(values: Mapping[str, Any], origin: Origin, rid: str | None, *, by: str | None) -> None:
    prefix = f"(from format {by!r}) " if by else ""
    for name, (kinds, required) in TRACE_FIELDS.items():
        if name not in values:
            if required:
                raise RecordError(prefix + "is missing", origin=origin, record_id=rid, field=name,
                                  reason="missing_field")
            continue
        value = values[name]
        if not isinstance(value, kinds):
            expected = " or ".join(type_name(k) for k in kinds)
            raise RecordError(f"{prefix}must be a {expected}, got {type_name(type(value))}", origin=origin,
                              record_id=rid, field=name, reason="wrong_type")
        if name == "thoughts" and value is not None:
            for k, thought in enumerate(value):
                if not isinstance(thought, str):
                    raise RecordError(f"{prefix}must be a str, got {type_name(type(thought))}", origin=origin,
                                      record_id=rid, field=f"thoughts[{k}]", reason="wrong_type")
