"""Finding user plugins (record formats, splitters): `module:Class` import paths and entry points.

One loader for both kinds, so a plugin is found the same way by `build`, `validate` and `plugins`,
and every failure is a `PluginError` that names the kind, the plugin and the cause.
"""
from __future__ import annotations

import importlib
import inspect
from importlib.metadata import EntryPoint, entry_points
from typing import Any, Mapping

from ltdata.errors import PluginError


def import_object(kind: str, path: str) -> Any:
    """The object at `package.module:Attr` (dots after the colon walk attributes)."""
    module_name, _, attr = path.partition(":")
    if not module_name or not attr:
        raise PluginError(f"{kind} {path!r}: expected an import path of the form 'package.module:Class'")
    try:
        target: Any = importlib.import_module(module_name)
    except Exception as exc:
        raise PluginError(f"{kind} {path!r}: cannot import module {module_name!r}: "
                          f"{type(exc).__name__}: {exc}") from exc
    for part in attr.split("."):
        if not hasattr(target, part):
            raise PluginError(f"{kind} {path!r}: module {module_name!r} has no attribute {attr!r}")
        target = getattr(target, part)
    return target


def plugin_entry_points(group: str) -> dict[str, EntryPoint]:
    return {entry.name: entry for entry in entry_points(group=group)}


def load_entry_point(kind: str, entry: EntryPoint) -> Any:
    try:
        return entry.load()
    except Exception as exc:
        raise PluginError(f"{kind} {entry.name!r} (entry point {entry.value!r}) cannot be loaded: "
                          f"{type(exc).__name__}: {exc}") from exc


def catalogue(kind: str, builtins: Mapping[str, Any], group: str) -> dict[str, str]:
    """Every name with the first line of its docstring (built-ins first), for `ltdata plugins`."""
    table = {name: summary(obj) for name, obj in builtins.items()}
    for name, entry in sorted(plugin_entry_points(group).items()):
        try:
            table.setdefault(name, summary(load_entry_point(kind, entry)))
        except PluginError as exc:
            table.setdefault(name, f"(cannot be loaded: {exc})")
    return table


def summary(obj: Any) -> str:
    doc = inspect.getdoc(obj) or ""
    return doc.splitlines()[0] if doc else "(no description)"
