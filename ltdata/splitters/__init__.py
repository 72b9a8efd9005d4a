"""Splitters by name: built-ins, entry points (group `ltdata.splitters`) or `package.module:Class` paths.

One loader for the build, `ltdata validate` and `ltdata plugins`, so a user splitter is found, given
its options and checked the same way everywhere, and every failure names the splitter and the cause.
"""
from __future__ import annotations

import importlib
import inspect
from importlib.metadata import EntryPoint, entry_points
from typing import Any, Mapping

from ltdata.errors import ConfigError, LtdataError, PluginError
from ltdata.splitters.base import Span, Splitter, check_spans
from ltdata.splitters.sentence import SentenceSplitter
from ltdata.splitters.thought import ThoughtSplitter
from ltdata.splitters.tokens import TokenWindowSplitter

ENTRY_POINT_GROUP = "ltdata.splitters"
BUILTIN_SPLITTERS: dict[str, type] = {"thought": ThoughtSplitter, "sentence": SentenceSplitter,
                                      "tokens": TokenWindowSplitter}

__all__ = ["BUILTIN_SPLITTERS", "ENTRY_POINT_GROUP", "Span", "Splitter", "available_splitters", "check_spans",
           "make_splitter", "split_checked"]


def make_splitter(spec: str, options: Mapping[str, Any] | None = None, *, tokenizer: Any = None) -> Splitter:
    """Build the splitter `spec` with `options` as keywords; `tokenizer=` only if it takes a `tokenizer`."""
    factory = _resolve(spec)
    if not callable(factory):
        raise PluginError(f"splitter {spec!r} is not a class or factory (got {type(factory).__name__})")
    if isinstance(factory, type) and not callable(getattr(factory, "split", None)):
        raise PluginError(f"splitter {spec!r}: class {factory.__name__!r} has no split(text) method")
    kwargs = dict(options or {})
    parameters = _parameters(factory)
    if parameters is not None:
        valid = sorted(name for name in parameters if name != "tokenizer")
        takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
        for option in kwargs:
            if option == "tokenizer" or (option not in parameters and not takes_any):
                raise ConfigError(f"splitter_options.{option}: not an option of splitter {spec!r} "
                                  f"(valid: {', '.join(valid) or 'none'})")
        if "tokenizer" in parameters:
            kwargs["tokenizer"] = tokenizer
    try:
        splitter = factory(**kwargs)
    except LtdataError:
        raise
    except Exception as exc:
        raise PluginError(f"splitter {spec!r}: constructing it failed: {type(exc).__name__}: {exc}") from exc
    if not callable(getattr(splitter, "split", None)):
        raise PluginError(f"splitter {spec!r}: {type(splitter).__name__!r} object has no split(text) method")
    return splitter


def split_checked(splitter: Splitter, text: str, *, name: str) -> list[Span]:
    """`splitter.split(text)`, checked to tile the text; any failure is a PluginError naming `name`.

    ltdata's own errors pass through as raised (they already name their place; a RecordError rejects
    just that record).
    """
    try:
        return check_spans(splitter.split(text), text, splitter=name)
    except LtdataError:
        raise
    except Exception as exc:
        raise PluginError(f"splitter {name!r} failed on a text of {len(text)} characters: "
                          f"{type(exc).__name__}: {exc}") from exc


def available_splitters() -> dict[str, str]:
    """Every splitter name with the first line of its docstring (built-ins first), for `ltdata plugins`."""
    table = {name: _summary(cls) for name, cls in BUILTIN_SPLITTERS.items()}
    for name, entry in sorted(_entry_points().items()):
        try:
            table.setdefault(name, _summary(_load(entry)))
        except PluginError as exc:
            table.setdefault(name, f"(cannot be loaded: {exc})")
    return table


def _resolve(spec: str) -> Any:
    if spec in BUILTIN_SPLITTERS:
        return BUILTIN_SPLITTERS[spec]
    if ":" in spec:
        return _import(spec)
    plugins = _entry_points()
    if spec in plugins:
        return _load(plugins[spec])
    choices = ", ".join([*BUILTIN_SPLITTERS, *sorted(plugins)])
    raise ConfigError(f"splitter: unknown splitter {spec!r}; choose from {choices}, "
                      "or give an import path 'package.module:Class'")


def _import(path: str) -> Any:
    module_name, _, attr = path.partition(":")
    if not module_name or not attr:
        raise PluginError(f"splitter {path!r}: expected an import path of the form 'package.module:Class'")
    try:
        target: Any = importlib.import_module(module_name)
    except Exception as exc:
        raise PluginError(f"splitter {path!r}: cannot import module {module_name!r}: "
                          f"{type(exc).__name__}: {exc}") from exc
    for part in attr.split("."):
        if not hasattr(target, part):
            raise PluginError(f"splitter {path!r}: module {module_name!r} has no attribute {attr!r}")
        target = getattr(target, part)
    return target


def _entry_points() -> dict[str, EntryPoint]:
    return {entry.name: entry for entry in entry_points(group=ENTRY_POINT_GROUP)}


def _load(entry: EntryPoint) -> Any:
    try:
        return entry.load()
    except Exception as exc:
        raise PluginError(f"splitter {entry.name!r} (entry point {entry.value!r}) cannot be loaded: "
                          f"{type(exc).__name__}: {exc}") from exc


def _parameters(factory: Any) -> Mapping[str, inspect.Parameter] | None:
    try:
        return inspect.signature(factory).parameters
    except (TypeError, ValueError):
        return None


def _summary(obj: Any) -> str:
    doc = inspect.getdoc(obj) or ""
    return doc.splitlines()[0] if doc else f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', obj)}"
