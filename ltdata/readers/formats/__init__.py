"""Record formats by name: the built-ins, `module:Class` import paths, and `ltdata.formats` entry points.

`resolve_format` turns `--format NAME` into a `Format` (a plugin comes wrapped in `CheckedFormat`, which
checks its output); `detect_format` implements `--format auto` by asking each built-in, in
`BUILTIN_FORMATS` order (most specific first), whether a record looks like it.
"""
from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

from ltdata.errors import ConfigError, LtdataError, Origin, PluginError, RecordError
from ltdata.plugins import catalogue, import_object, load_entry_point, plugin_entry_points
from ltdata.readers.base import Format
from ltdata.readers.formats.bespoke import Bespoke
from ltdata.readers.formats.checked import CheckedFormat
from ltdata.readers.formats.fields import CANONICAL_FIELDS, MappedFormat, check_fields, record_id
from ltdata.readers.formats.messages import Messages
from ltdata.readers.formats.openthoughts import OpenThoughts
from ltdata.readers.formats.plain import Plain
from ltdata.readers.formats.sharegpt import ShareGPT
from ltdata.readers.formats.thoughts import Thoughts

ENTRY_POINT_GROUP = "ltdata.formats"
_BUILTINS: dict[str, type[MappedFormat]] = {
    cls.name: cls for cls in (Bespoke, ShareGPT, Messages, OpenThoughts, Thoughts, Plain)}
# Also the `--format auto` detection order: bespoke before sharegpt (a special case of it),
# openthoughts and thoughts before plain (whose default keys overlap theirs).
BUILTIN_FORMATS: tuple[str, ...] = tuple(_BUILTINS)

__all__ = ["BUILTIN_FORMATS", "available_formats", "detect_format", "resolve_format"]


def resolve_format(name: str, *, fields: Mapping[str, str] | None = None) -> Format:
    """The format called `name`: a built-in, a `module:Class` import path, or an entry point."""
    if name in _BUILTINS:
        return _BUILTINS[name](fields=dict(fields or {}))
    if ":" in name:
        return _instantiate(import_object("format", name), name, fields)
    plugins = plugin_entry_points(ENTRY_POINT_GROUP)
    if name in plugins:
        return _instantiate(load_entry_point("format", plugins[name]), name, fields)
    choices = ", ".join([*BUILTIN_FORMATS, *sorted(plugins)])
    raise ConfigError(f"--format {name!r}: unknown format; choose from {choices}, "
                      "or give a 'module:Class' import path")


def detect_format(record: dict[str, Any], origin: Origin, *,
                  fields: Mapping[str, str] | None = None) -> Format:
    """The first built-in (in `BUILTIN_FORMATS` order) that uses every given field and detects the record."""
    fields = check_fields(fields, format_name="auto", accepted=CANONICAL_FIELDS)
    if not isinstance(record, Mapping):
        raise RecordError(f"record must be an object, got {type(record).__name__}", origin=origin,
                          reason="wrong_type")
    for cls in _BUILTINS.values():
        if set(fields) <= set(cls.uses):
            fmt = cls(fields=fields)
            if fmt.detect(record):
                return fmt
    keys = sorted(map(str, record))
    shown = ", ".join(keys[:30]) + (f", ... ({len(keys)} keys)" if len(keys) > 30 else "")
    raise RecordError(f"does not look like any built-in format ({', '.join(BUILTIN_FORMATS)}); its "
                      f"top-level keys are: {shown or '(none)'}. Name the format with --format or map "
                      "keys with --field", origin=origin, record_id=record_id(record, origin, {}),
                      reason="unknown_format")


def available_formats() -> dict[str, str]:
    """Every format name with a one-line description (built-ins first), for `ltdata plugins`."""
    return catalogue("format", _BUILTINS, ENTRY_POINT_GROUP)


def _instantiate(factory: Callable[..., Any], label: str, fields: Mapping[str, str] | None) -> Format:
    if not callable(factory):
        raise PluginError(f"format {label!r} is a {type(factory).__name__}, not a class")
    try:
        takes_fields = "fields" in inspect.signature(factory).parameters
    except (TypeError, ValueError):
        takes_fields = False
    if fields and not takes_fields:
        raise ConfigError(f"--field: format {label!r} does not accept field mappings (no 'fields' argument)")
    try:
        fmt = factory(fields=dict(fields or {})) if takes_fields else factory()
    except LtdataError:
        raise
    except Exception as exc:
        raise PluginError(f"format {label!r}: constructing it failed: {exc!r}") from exc
    if not isinstance(fmt, Format):
        raise PluginError(f"format {label!r} does not implement the Format protocol "
                          "(a `name`, `detect(record)` and `to_trace(record, origin)`)")
    return CheckedFormat(fmt, label)
