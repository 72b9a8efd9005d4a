"""Argparse flags derived from a `TypedConfig`, so an option parses the same way in every command.

From the type hint: bool -> `--x/--no-x`; `X | None` -> also takes `none`; dict -> repeatable
`KEY=VALUE` or a `{YAML: mapping}`, merged; list -> one or more values; Literal -> choices. A nested
config's fields become flags of their own. Flags default to "not given" (argparse.SUPPRESS): only
what the user typed overrides a recipe, which overrides the dataclass defaults.
"""
from __future__ import annotations

import argparse
import re
import typing
from dataclasses import fields
from typing import Any, Callable, Literal

import yaml

from ltdata.typed_config import TypedConfig, field_default, is_config, optional_base

NONE = "none"
KEY_VALUE = re.compile(r"^\s*([^=\s{}:]+)\s*=(.*)$", re.S)


def add_config_flags(parser: argparse.ArgumentParser, config: type[TypedConfig], *,
                     defaults: TypedConfig | None = None) -> None:
    """One flag per field of `config` (`--field-name`, or the field's `flag`), help from its `help`."""
    hints = typing.get_type_hints(config)
    for f in fields(config):  # type: ignore[arg-type]
        default = getattr(defaults, f.name) if defaults is not None else field_default(f)
        if is_config(hints[f.name]):
            add_config_flags(parser, hints[f.name], defaults=default)
            continue
        meta = f.metadata
        kwargs = {"dest": f.name, "default": argparse.SUPPRESS, "help": meta["help"] + _shown(default, meta),
                  **_parse_kwargs(hints[f.name])}
        if "metavar" in meta:
            kwargs["metavar"] = meta["metavar"]
        parser.add_argument(meta.get("flag", "--" + f.name.replace("_", "-")), **kwargs)


def given_config(args: argparse.Namespace, config: type[TypedConfig]) -> dict[str, Any]:
    """The options the user typed, nested as `config` nests them, for `config.from_dict`."""
    hints = typing.get_type_hints(config)
    given: dict[str, Any] = {}
    for f in fields(config):  # type: ignore[arg-type]
        hint = hints[f.name]
        if is_config(hint):
            nested = given_config(args, hint)
            if nested:
                given[f.name] = nested
        elif hasattr(args, f.name):
            value, kind = getattr(args, f.name), typing.get_origin(optional_base(hint)[0])
            if kind is dict:
                value = {k: v for mapping in value for k, v in mapping.items()}
            elif kind is list and "sep" in f.metadata:
                value = [part.strip() for item in value for part in item.split(f.metadata["sep"]) if part.strip()]
            given[f.name] = value
    return given


def _shown(default: Any, meta: typing.Mapping[str, Any]) -> str:
    if default in (None, [], {}, ""):
        return ""
    shown = meta.get("sep", " ").join(default) if isinstance(default, list) else default
    return f" (default: {shown})"


def _parse_kwargs(hint: Any) -> dict[str, Any]:
    base, optional = optional_base(hint)
    if base is bool:
        return {"action": argparse.BooleanOptionalAction}
    if typing.get_origin(base) is Literal:
        choices = typing.get_args(base)
        names = [str(c) for c in choices] + ([NONE] if optional else [])
        return {"type": _scalar(type(choices[0]), optional), "choices": [*choices, *([None] if optional else [])],
                "metavar": "{" + ",".join(names) + "}"}
    if typing.get_origin(base) is list:
        return {"nargs": "+"}
    if typing.get_origin(base) is dict:
        value_kind = str if typing.get_args(base)[1] is str else yaml.safe_load
        return {"action": "append", "type": _mapping(value_kind), "metavar": "KEY=VALUE"}
    metavar = {int: "N", float: "X"}.get(base)
    return {"type": _scalar(base, optional), **({"metavar": metavar} if metavar else {})}


def _scalar(kind: Callable[[str], Any], optional: bool) -> Callable[[str], Any]:
    """`kind(text)`, or None for `none` where the option is optional."""
    def parse(text: str) -> Any:
        if optional and text.lower() == NONE:
            return None
        try:
            return kind(text)
        except ValueError:
            expected = kind.__name__ + (f" or '{NONE}'" if optional else "")
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
    parse.__name__ = kind.__name__
    return parse


def _mapping(value_kind: Callable[[str], Any]) -> Callable[[str], dict[str, Any]]:
    """`KEY=VALUE` (the value read by `value_kind`) or a YAML mapping such as `{a: {b: 1}}`."""
    def parse(text: str) -> dict[str, Any]:
        match = KEY_VALUE.match(text)
        try:
            value = {match.group(1): value_kind(match.group(2))} if match else yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise argparse.ArgumentTypeError(f"invalid YAML in {text!r}: {exc}") from None
        if not isinstance(value, dict):
            raise argparse.ArgumentTypeError(f"expected KEY=VALUE or a YAML mapping such as '{{a: 1}}', got {text!r}")
        return value
    return parse
