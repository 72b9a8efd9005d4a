"""`TypedConfig`: the one base of every typed configuration (build, train, generate, eval).

A config is a dataclass whose fields carry their type and help text; it is filled from keywords, a
mapping, a YAML file or CLI flags (`ltdata.cli.flags`) the same way, so an option is written once
and behaves alike everywhere. Every problem is collected and reported at once, each naming its key.
"""
from __future__ import annotations

import copy
import dataclasses
import difflib
import types
import typing
from dataclasses import MISSING, asdict, field, fields
from pathlib import Path
from typing import Any, Literal, Mapping, TypeVar

import yaml

from ltdata.errors import ConfigError

C = TypeVar("C", bound="TypedConfig")


def option(default: Any, help: str, **extra: Any) -> Any:
    """A config field with its help text (which becomes the `--help` line); `extra` goes to the CLI
    (`flag`, `metavar`, `sep`). A mutable default (list, dict, config) becomes a factory of fresh copies."""
    meta = {"help": help, **extra}
    if isinstance(default, (list, dict)) or dataclasses.is_dataclass(default):
        return field(default_factory=lambda: copy.deepcopy(default), metadata=meta)
    return field(default=default, metadata=meta)


class TypedConfig:
    """Construction, validation and conversion shared by the config dataclasses that derive from it."""

    def __post_init__(self) -> None:
        problems = self.problems()
        if problems:
            raise ConfigError(problems)

    def problems(self) -> list[str]:
        """Every invalid value, each naming its key; subclasses add their cross-field checks."""
        return type_problems(self)

    @classmethod
    def from_dict(cls: type[C], values: Mapping[str, Any], *, source: str = "config") -> C:
        """Build from a mapping (YAML, keywords or flags), rejecting unknown keys with a suggestion.

        A mapping given for a nested config overrides that field's default, key by key.
        """
        known = {f.name: f for f in fields(cls)}  # type: ignore[arg-type]
        normalised = {str(k).replace("-", "_"): v for k, v in values.items()}
        problems = unknown_key_problems(normalised, set(known), source)
        hints = typing.get_type_hints(cls)
        kwargs: dict[str, Any] = {}
        for name, value in normalised.items():
            if name not in known:
                continue
            if is_config(hints[name]) and isinstance(value, Mapping):
                try:
                    value = hints[name].from_dict({**field_default(known[name]).to_dict(), **value},
                                                  source=f"{source}.{name}")
                except ConfigError as exc:   # the outer keys are still checked, against the default
                    problems += exc.problems
                    continue
            kwargs[name] = _coerce(value, hints[name])
        try:
            config = cls(**kwargs)
        except ConfigError as exc:
            problems += exc.problems
        if problems:
            raise ConfigError(problems)
        return config

    @classmethod
    def from_yaml(cls: type[C], path: str | Path, **overrides: Any) -> C:
        """Load a YAML file; keyword overrides win over the file (as CLI flags do)."""
        values = load_yaml_mapping(cls.locate(path))
        return cls.from_dict(cls.merge(values, overrides), source=str(path))

    @classmethod
    def locate(cls, path: str | Path) -> Path:
        """The file a `from_yaml` name refers to (a config may resolve bundled preset names)."""
        return Path(path)

    @classmethod
    def merge(cls, values: dict[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
        """The file's values with the overrides on top (a config may make one key replace another)."""
        return {**values, **overrides}

    def replace(self: C, **changes: Any) -> C:
        """A copy with some options changed, validated again; a mapping changes a nested config key by key."""
        values = self.to_dict()
        for name, value in changes.items():
            if isinstance(value, Mapping) and isinstance(getattr(self, name, None), TypedConfig):
                value = {**values[name], **value}
            values[name] = value
        return type(self).from_dict(values)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)  # type: ignore[call-overload]


def is_config(hint: Any) -> bool:
    return isinstance(hint, type) and issubclass(hint, TypedConfig)


def field_default(f: dataclasses.Field) -> Any:
    return f.default_factory() if f.default_factory is not MISSING else f.default


def optional_base(hint: Any) -> tuple[Any, bool]:
    """The type inside `X | None`, and whether None is allowed."""
    args = typing.get_args(hint)
    if typing.get_origin(hint) in (typing.Union, types.UnionType) and type(None) in args:
        inner = [a for a in args if a is not type(None)]
        return (inner[0] if len(inner) == 1 else hint), True
    return hint, False


def _coerce(value: Any, hint: Any) -> Any:
    """YAML 1.1 reads `2e-5` as a string; accept numeric strings for float fields, nothing else."""
    if optional_base(hint)[0] is float and isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


def load_yaml_mapping(path: str | Path) -> dict[str, Any]:
    """Read a YAML recipe whose top level is a mapping; errors name the file."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config: file not found: {path}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: invalid YAML: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of options, got {type(data).__name__}")
    return data


def unknown_key_problems(keys: Any, known: set[str], where: str) -> list[str]:
    """`where: unknown key 'x' (did you mean 'y'?)` for each key of `keys` not in `known`."""
    problems = []
    for key in keys:
        if key not in known:
            hint = difflib.get_close_matches(str(key), known, n=1)
            problems.append(f"{where}: unknown key {key!r}" + (f" (did you mean {hint[0]!r}?)" if hint else ""))
    return problems


def type_problems(config: Any) -> list[str]:
    """`name: problem` for each field of a config dataclass whose value does not match its type hint."""
    hints = typing.get_type_hints(type(config))
    out = []
    for f in fields(config):
        problem = check_type(getattr(config, f.name), hints[f.name])
        if problem:
            out.append(f"{f.name}: {problem}")
    return out


def check_type(value: Any, hint: Any) -> str | None:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is Literal:
        return None if value in args else f"must be one of {', '.join(map(str, args))}; got {value!r}"
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return check_type(value, inner[0]) if len(inner) == 1 else None
    if origin is list:
        if args and args[0] is str and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            return f"must be a list of strings, got {value!r}"
        return None if isinstance(value, list) else f"must be a list, got {value!r}"
    if origin is dict:
        if not isinstance(value, dict):
            return f"must be a mapping of KEY: VALUE, got {value!r}"
        if args and args[1] is str and not all(isinstance(v, str) for v in value.values()):
            return f"values must be strings, got {value!r}"
        return None
    if hint is bool:
        return None if isinstance(value, bool) else f"must be true or false, got {value!r}"
    if hint is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
        return None if ok else f"must be an integer, got {value!r}"
    if hint is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        return None if ok else f"must be a number, got {value!r}"
    if hint is str:
        return None if isinstance(value, str) else f"must be a string, got {value!r}"
    return None
