"""Generate `ltdata build` flags from `BuildConfig`, so each option is documented once.

Flags default to "not given" (argparse.SUPPRESS): only what the user typed overrides the YAML
recipe, which overrides the dataclass defaults.
"""
from __future__ import annotations

import argparse
import types
import typing
from typing import Any, Literal

import yaml

from ltdata.config import config_fields


def _key_value(parse_value):
    def parse(text: str) -> tuple[str, Any]:
        key, sep, value = text.partition("=")
        if not sep or not key:
            raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
        return key.strip(), parse_value(value)
    return parse


def _int_or_none(text: str) -> int | None:
    if text.lower() in ("none", "off"):
        return None
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer or 'none', got {text!r}") from None


def _str_or_none(text: str) -> str | None:
    """'none' is "not set" for every optional option, as in `ltrain` (e.g. `--system-prompt none`)."""
    return None if text.lower() == "none" else text


def add_config_flags(parser: argparse.ArgumentParser) -> None:
    for name, hint, default, meta in config_fields():
        flag = meta.get("flag", "--" + name.replace("_", "-"))
        shown = "" if default in (None, [], {}) else f" (default: {default})"
        kwargs: dict[str, Any] = {"dest": name, "default": argparse.SUPPRESS, "help": meta["help"] + shown}
        origin, args = typing.get_origin(hint), typing.get_args(hint)
        optional = origin in (typing.Union, types.UnionType) and type(None) in args
        base = next((a for a in args if a is not type(None)), hint) if optional else hint
        if typing.get_origin(base) is Literal:
            kwargs["choices"] = typing.get_args(base)
        elif base is bool:
            kwargs["action"] = argparse.BooleanOptionalAction if (default is True or optional) else "store_true"
        elif typing.get_origin(base) is list:
            kwargs["nargs"] = "+"
            kwargs["metavar"] = "PATH"
        elif typing.get_origin(base) is dict:
            value_parser = str if typing.get_args(base)[1] is str else yaml.safe_load
            kwargs.update(action="append", type=_key_value(value_parser), metavar="KEY=VALUE")
        elif base is int:
            kwargs["type"] = _int_or_none if optional else int
            kwargs["metavar"] = "N"
        elif base is str and optional:
            kwargs["type"] = _str_or_none
        parser.add_argument(flag, **kwargs)


def given_options(namespace: argparse.Namespace) -> dict[str, Any]:
    """The config options the user typed, with repeated KEY=VALUE flags folded into mappings."""
    names = {name for name, *_ in config_fields()}
    values = {k: v for k, v in vars(namespace).items() if k in names}
    for key, value in values.items():
        if isinstance(value, list) and value and isinstance(value[0], tuple):
            values[key] = dict(value)
    return values
