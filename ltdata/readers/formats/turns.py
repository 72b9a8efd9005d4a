"""Read a single-exchange chat (`[system?] user assistant`) out of a list of turns.

ShareGPT `conversations` and OpenAI `messages` differ only in key names; both reduce to one prompt
and one assistant output. Longer conversations are refused with a clear error rather than silently
flattened: which earlier turns to train on is a decision ltdata does not make for you yet.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ltdata.readers.formats.fields import RecordView, display_path

ROLES = {"system": "system", "human": "user", "user": "user", "gpt": "assistant", "assistant": "assistant"}


@dataclass(frozen=True, slots=True)
class Exchange:
    """The parts of a chat that become a `Trace`; `output_path` is the assistant turn's dotted path."""

    system: str | None
    prompt: str
    output: str
    output_path: str

    @property
    def output_field(self) -> str:
        return display_path(self.output_path)


def looks_like_chat(record: Mapping[str, Any], *, key: str, role_key: str, text_key: str) -> bool:
    """True if `record[key]` is a non-empty list of turns that all carry `role_key` and `text_key`."""
    turns = record.get(key)
    return (isinstance(turns, list) and bool(turns)
            and all(isinstance(t, Mapping) and role_key in t and text_key in t for t in turns))


def assistant_texts(record: Mapping[str, Any], *, key: str, role_key: str, text_key: str) -> list[str]:
    """The string texts of the assistant turns (for detection; never raises)."""
    turns = record.get(key)
    if not isinstance(turns, list):
        return []
    return [t[text_key] for t in turns if isinstance(t, Mapping) and isinstance(t.get(text_key), str)
            and t.get(role_key) in ("gpt", "assistant")]


def read_exchange(view: RecordView, *, key: str, role_key: str, text_key: str) -> Exchange:
    """Validate the turns and return the exchange; every problem names its turn (`messages[2].role`)."""
    turns = view.get(key, kind=list)
    if not turns:
        raise view.fail("is an empty list", field=key, reason="missing_field")
    roles = []
    for i in range(len(turns)):
        view.get(f"{key}.{i}", kind=dict)
        raw = view.get(f"{key}.{i}.{role_key}", kind=str)
        if raw not in ROLES:
            raise view.fail(f"is {raw!r}, expected one of {', '.join(ROLES)}",
                            field=display_path(f"{key}.{i}.{role_key}"), reason="invalid_record")
        roles.append(ROLES[raw])
    if "assistant" not in roles:
        raise view.fail("has no assistant turn", field=key, reason="missing_field")
    last = len(roles) - 1 - roles[::-1].index("assistant")
    if last != len(roles) - 1:
        raise view.fail(f"continues with a {roles[-1]} turn after the last assistant turn "
                        f"({display_path(f'{key}.{last}')})", field=key, reason="invalid_record")
    if last == 0 or roles[last - 1] != "user":
        got = roles[last - 1] if last else "nothing"
        raise view.fail(f"must be preceded by a user turn, got {got}",
                        field=display_path(f"{key}.{last}"), reason="invalid_record")
    earlier = roles[:last - 1]
    if earlier not in ([], ["system"]):
        raise view.fail(f"has {len(earlier)} turn(s) before the last user turn; multi-turn conversations "
                        "are not supported yet (only [system] user assistant)", field=key,
                        reason="invalid_record")
    return Exchange(
        system=view.get(f"{key}.0.{text_key}", kind=str) if earlier else None,
        prompt=view.text(f"{key}.{last - 1}.{text_key}"),
        output=view.get(f"{key}.{last}.{text_key}", kind=str),
        output_path=f"{key}.{last}.{text_key}",
    )
