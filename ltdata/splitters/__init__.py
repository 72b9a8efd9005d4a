"""Splitters by name: built-ins, entry points (group `ltdata.splitters`) or `package.module:Class` paths.

One loader for the build, `ltdata validate` and `ltdata plugins`, so a user splitter is found, given
its options and checked the same way everywhere, and every failure names the splitter and the cause.
"""
from __future__ import annotations

import inspect
from typing import Any, Mapping

from ltdata.errors import ConfigError, LtdataError, PluginError
from ltdata.plugins import catalogue, import_object, load_entry_point, plugin_entry_points
from ltdata.splitters.balanced import BalancedSplitter
from ltdata.splitters.base import Span, Splitter, check_spans
from ltdata.splitters.bounds import BoundedSplitter
from ltdata.splitters.sentence import SentenceSplitter
from ltdata.splitters.thought import ThoughtSplitter
from ltdata.splitters.tokens import TokenWindowSplitter

ENTRY_POINT_GROUP = "ltdata.splitters"
BUILTIN_SPLITTERS: dict[str, type] = {"thought": ThoughtSplitter, "sentence": SentenceSplitter,
                                      "tokens": TokenWindowSplitter, "balanced": BalancedSplitter}
# Keywords the build fills in for a splitter that declares them; never splitter options.
BUILD_KEYWORDS = ("tokenizer", "min_thought_tokens", "max_thought_tokens")

__all__ = ["BUILTIN_SPLITTERS", "ENTRY_POINT_GROUP", "BoundedSplitter", "Span", "Splitter", "available_splitters",
           "check_spans", "make_splitter", "split_checked"]


def make_splitter(spec: str, options: Mapping[str, Any] | None = None, *, tokenizer: Any = None,
                  min_thought_tokens: int | None = None, max_thought_tokens: int | None = None) -> Splitter:
    """Build the splitter `spec` with `options` as keywords, within token bounds if any are set.

    A splitter that declares a `tokenizer`, `min_thought_tokens` or `max_thought_tokens` keyword
    receives the build's value. With either bound set, the splitter is wrapped in a `BoundedSplitter`
    (which needs `tokenizer`); with neither, it is returned as made, so its spans are unchanged.
    """
    splitter = _construct(spec, options, {"tokenizer": tokenizer, "min_thought_tokens": min_thought_tokens,
                                          "max_thought_tokens": max_thought_tokens})
    if min_thought_tokens is None and max_thought_tokens is None:
        return splitter
    return BoundedSplitter(splitter=splitter, tokenizer=tokenizer, min_tokens=min_thought_tokens,
                           max_tokens=max_thought_tokens, name=spec)


def _construct(spec: str, options: Mapping[str, Any] | None, build: dict[str, Any]) -> Splitter:
    factory = _resolve(spec)
    if not callable(factory):
        raise PluginError(f"splitter {spec!r} is not a class or factory (got {type(factory).__name__})")
    if isinstance(factory, type) and not callable(getattr(factory, "split", None)):
        raise PluginError(f"splitter {spec!r}: class {factory.__name__!r} has no split(text) method")
    kwargs = dict(options or {})
    parameters = _parameters(factory)
    if parameters is not None:
        valid = sorted(name for name in parameters if name not in BUILD_KEYWORDS)
        takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
        for option in kwargs:
            if option in BUILD_KEYWORDS[1:]:
                raise ConfigError(f"splitter_options.{option}: a build option, not a splitter option; "
                                  f"use --{option.replace('_', '-')} (YAML: {option})")
            if option == "tokenizer" or (option not in parameters and not takes_any):
                raise ConfigError(f"splitter_options.{option}: not an option of splitter {spec!r} "
                                  f"(valid: {', '.join(valid) or 'none'})")
        kwargs.update({name: value for name, value in build.items() if name in parameters})
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
    return catalogue("splitter", BUILTIN_SPLITTERS, ENTRY_POINT_GROUP)


def _resolve(spec: str) -> Any:
    if spec in BUILTIN_SPLITTERS:
        return BUILTIN_SPLITTERS[spec]
    if ":" in spec:
        return import_object("splitter", spec)
    plugins = plugin_entry_points(ENTRY_POINT_GROUP)
    if spec in plugins:
        return load_entry_point("splitter", plugins[spec])
    choices = ", ".join([*BUILTIN_SPLITTERS, *sorted(plugins)])
    raise ConfigError(f"splitter: unknown splitter {spec!r}; choose from {choices}, "
                      "or give an import path 'package.module:Class'")


def _parameters(factory: Any) -> Mapping[str, inspect.Parameter] | None:
    try:
        return inspect.signature(factory).parameters
    except (TypeError, ValueError):
        return None
