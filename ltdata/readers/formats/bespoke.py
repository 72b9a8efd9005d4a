"""Bespoke-Stratos-17k / Sky-T1 `conversations` with `<|begin_of_thought|>` ... `<|end_of_solution|>`.

Layout decision: `preamble` = the text through `<|begin_of_thought|>` and its newlines; `reasoning` =
the thinking up to `<|end_of_thought|>`, including the blank line before it (so the last thought ends
with its blank line like every other); `answer` = `<|end_of_thought|>` to the end, never compressed.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from ltdata.readers.formats.fields import RecordView
from ltdata.readers.formats.sharegpt import ShareGPT
from ltdata.readers.formats.tags import BESPOKE_TAGS, split_tagged
from ltdata.readers.formats.turns import assistant_texts

SOLUTION_TAGS = ("<|begin_of_solution|>", "<|end_of_solution|>")


@dataclass(frozen=True, slots=True, kw_only=True)
class Bespoke(ShareGPT):
    """Bespoke-Stratos: system + conversations, <|begin_of_thought|> ... <|end_of_solution|> markers."""

    name: ClassVar[str] = "bespoke"

    def detect(self, record: dict[str, Any]) -> bool:
        return any(BESPOKE_TAGS[0] in text for text in assistant_texts(record, **self.KEYS))

    def split(self, text: str, *, view: RecordView, field: str) -> tuple[str, str, str]:
        """Strict: both thought markers are required, and an opened solution must be closed."""
        preamble, reasoning, answer = split_tagged(text, view=view, field=field, pairs=(BESPOKE_TAGS,),
                                                   strict=True)
        opened = answer.find(SOLUTION_TAGS[0])
        if opened >= 0 and answer.find(SOLUTION_TAGS[1], opened) < 0:
            raise view.fail(f"opens {SOLUTION_TAGS[0]!r} but never closes it with {SOLUTION_TAGS[1]!r} "
                            "(truncated generation?)", field=field, reason="invalid_record")
        return preamble, reasoning, answer
