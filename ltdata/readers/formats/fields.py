"""Field access shared by every format: `--field` mappings, dotted paths, record ids, typed errors.

Formats read records only through `RecordView`, so every malformed value becomes a `RecordError`
that names the file, line, record id and field path (`conversations[1].value`), never a bare
KeyError or TypeError.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from ltdata.errors import ConfigError, Origin, RecordError
from ltdata.records import Trace

CANONICAL_FIELDS = ("id", "system", "prompt", "reasoning", "answer", "response", "thoughts")
MISSING: Any = object()


def check_fields(fields: Mapping[str, str] | None, *, format_name: str,
                 accepted: Iterable[str]) -> dict[str, str]:
    """Validate a `--field NAME=PATH` mapping for one format; raise `ConfigError` listing every problem."""
    accepted = tuple(accepted)
    problems = []
    for name, path in (fields or {}).items():
        if name not in CANONICAL_FIELDS:
            problems.append(f"--field {name}=...: unknown field name {name!r}; "
                            f"choose from {', '.join(CANONICAL_FIELDS)}")
        elif name not in accepted:
            problems.append(f"--field {name}=...: format {format_name!r} does not use {name!r}; "
                            f"it uses {', '.join(accepted)}")
        elif not isinstance(path, str) or not path.strip("."):
            problems.append(f"--field {name}: the source path must be a non-empty string, got {path!r}")
    if problems:
        raise ConfigError(problems)
    return dict(fields or {})


def display_path(path: str) -> str:
    """`code.0.text` -> `code[0].text`: how error messages spell a dotted source path."""
    out = ""
    for part in path.split("."):
        out += f"[{part}]" if part.isdigit() else (f".{part}" if out else part)
    return out


def lookup(record: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted path (`meta.question`, `code.0`), or `MISSING`; no error for absence."""
    value: Any = record
    for part in path.split("."):
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return MISSING
    return value


def record_id(record: Mapping[str, Any], origin: Origin, fields: Mapping[str, str]) -> str:
    """`fields['id']` if mapped, else a top-level str/int `id`, else `<file stem>-<index:05d>`.

    In-memory records (origin file `<memory>`) get `memory-<index:05d>`.
    """
    if "id" in fields:
        value = lookup(record, fields["id"])
        if value is MISSING or isinstance(value, bool) or not isinstance(value, (str, int)):
            got = "is missing" if value is MISSING else f"must be a str or int, got {type_name(type(value))}"
            raise RecordError(f"(mapped by --field id) {got}", origin=origin,
                              field=display_path(fields["id"]),
                              reason="missing_field" if value is MISSING else "wrong_type")
        return str(value)
    value = record.get("id")
    if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value):
        return str(value)
    return f"{Path(origin.file).stem.strip('<>')}-{origin.index:05d}"


@dataclass(frozen=True, slots=True)
class RecordView:
    """One record plus where it came from; typed getters that raise located `RecordError`s."""

    record: Mapping[str, Any]
    origin: Origin
    record_id: str

    @classmethod
    def of(cls, record: Any, origin: Origin, fields: Mapping[str, str]) -> RecordView:
        if not isinstance(record, Mapping):
            raise RecordError(f"record must be an object, got {type_name(type(record))}",
                              origin=origin, reason="wrong_type")
        return cls(record=record, origin=origin, record_id=record_id(record, origin, fields))

    def fail(self, message: str, *, field: str | None = None, reason: str = "invalid_record") -> RecordError:
        """A `RecordError` at this record (returned, for the caller to raise)."""
        return RecordError(message, origin=self.origin, record_id=self.record_id, field=field, reason=reason)

    def get(self, path: str, *, kind: type, required: bool = True) -> Any:
        """The value at dotted `path`, checked to be a `kind`; None if optional and absent or null.

        Errors name the field as `display_path(path)`, e.g. `conversations[1].value`.
        """
        value = lookup(self.record, path)
        if value is MISSING or (value is None and not required):
            if required:
                raise self.fail("is missing", field=display_path(path), reason="missing_field")
            return None
        if not isinstance(value, kind):
            name, got = type_name(kind), type_name(type(value))
            raise self.fail(f"must be {'an' if name[0] in 'aeiou' else 'a'} {name}, got {got}",
                            field=display_path(path), reason="wrong_type")
        return value

    def text(self, path: str) -> str:
        """A required string field that is not blank."""
        value = self.get(path, kind=str)
        if not value.strip():
            raise self.fail("is empty", field=display_path(path), reason="missing_field")
        return value

    def trace(self, *, prompt: str, reasoning: str, reasoning_field: str, answer: str = "",
              preamble: str = "", system: str | None = None, thoughts: list[str] | None = None) -> Trace:
        """Build the `Trace`, refusing blank reasoning (there would be nothing to compress)."""
        if not (reasoning or "".join(thoughts or [])).strip():
            raise self.fail("has no reasoning text (empty or whitespace only)", field=reasoning_field,
                            reason="empty_reasoning")
        return Trace(prompt=prompt, reasoning=reasoning, answer=answer, system=system, preamble=preamble,
                     thoughts=thoughts, record_id=self.record_id, origin=self.origin)


def type_name(kind: type) -> str:
    """JSON-flavoured type names for messages: `object` for dict, `null` for None."""
    return {dict: "object", type(None): "null"}.get(kind, kind.__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class MappedFormat:
    """Base of the built-in formats: holds the validated `--field` mapping and opens records."""

    name: ClassVar[str]
    uses: ClassVar[tuple[str, ...]]     # the canonical field names this format lets `--field` remap
    fields: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        checked = check_fields(self.fields, format_name=self.name, accepted=self.uses)
        object.__setattr__(self, "fields", checked)

    def view(self, record: Any, origin: Origin) -> RecordView:
        return RecordView.of(record, origin, self.fields)

    def system(self, view: RecordView, default: str = "system") -> str | None:
        """The optional system prompt (`--field system=...` or the format's default key)."""
        return view.get(self.fields.get("system", default), kind=str, required=False)

