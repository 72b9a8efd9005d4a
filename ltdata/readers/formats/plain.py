"""Flat records: `{prompt, reasoning, answer}` or `{prompt, response}`, with an optional `system`.

Each part is read from the `--field` path if given, else from the first default key present. The
default answer keys deliberately exclude `answer`/`solution`: in most datasets those hold the gold
answer, not model output. A `response` is cut by the tag pairs of `tags.split_tagged`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from ltdata.errors import ConfigError, Origin
from ltdata.readers.formats.fields import MISSING, MappedFormat, RecordView, display_path, lookup
from ltdata.readers.formats.tags import split_tagged
from ltdata.records import Trace


@dataclass(frozen=True, slots=True, kw_only=True)
class Plain(MappedFormat):
    """Flat prompt + reasoning/answer or prompt + tagged response (e.g. Marco-o1 instruction/response)."""

    name: ClassVar[str] = "plain"
    uses: ClassVar[tuple[str, ...]] = ("id", "system", "prompt", "reasoning", "answer", "response")
    DEFAULTS: ClassVar[dict[str, tuple[str, ...]]] = {
        "prompt": ("prompt", "question", "problem", "instruction"),
        "reasoning": ("reasoning", "thinking"),
        "answer": ("answer_text", "final_answer"),
        "response": ("response", "completion", "generation", "output"),
    }

    def __post_init__(self) -> None:
        MappedFormat.__post_init__(self)
        if "reasoning" in self.fields and "response" in self.fields:
            raise ConfigError("--field reasoning and --field response are alternatives; give only one")

    def source(self, record: dict[str, Any], name: str) -> str | None:
        """The path `name` is read from: the `--field` mapping, else the first non-null default key.

        Null counts as absent because Parquet and `datasets` fill a column's missing values with null.
        """
        if name in self.fields:
            return self.fields[name]
        return next((key for key in self.DEFAULTS.get(name, ()) if record.get(key) is not None), None)

    def detect(self, record: dict[str, Any]) -> bool:
        def present(name: str) -> bool:
            path = self.source(record, name)
            value = MISSING if path is None else lookup(record, path)
            return value is not MISSING and value is not None
        return present("prompt") and (present("reasoning") or present("response"))

    def to_trace(self, record: dict[str, Any], origin: Origin) -> Trace:
        view = self.view(record, origin)
        prompt = view.text(self._required(view, "prompt"))
        reasoning_path = None if "response" in self.fields else self.source(record, "reasoning")
        if reasoning_path is not None:
            answer_path = self.source(record, "answer")
            answer = view.get(answer_path, kind=str, required=False) if answer_path else None
            return view.trace(prompt=prompt, reasoning=view.get(reasoning_path, kind=str),
                              answer=answer or "", reasoning_field=display_path(reasoning_path),
                              system=self.system(view))
        response_path = self._required(view, "response", "reasoning")
        field = display_path(response_path)
        preamble, reasoning, answer = split_tagged(view.get(response_path, kind=str), view=view, field=field)
        return view.trace(prompt=prompt, reasoning=reasoning, reasoning_field=field, answer=answer,
                          preamble=preamble, system=self.system(view))

    def _required(self, view: RecordView, name: str, *alternatives: str) -> str:
        path = self.source(view.record, name)
        if path is not None:
            return path
        names = (*alternatives, name)
        keys = [key for n in names for key in self.DEFAULTS.get(n, ())]
        flags = " or ".join(f"--field {n}=PATH" for n in names)
        raise view.fail(f"is missing: the record has none of {', '.join(keys)} (map one with {flags})",
                        field=names[0], reason="missing_field")
