"""ShareGPT `conversations` (`from`/`value`), the common SFT layout, with an optional top-level `system`.

The assistant turn is cut by the first tag pair it contains (`<|begin_of_thought|>`, `<think>`,
`<Thought>`, see `tags.split_tagged`); an untagged output is compressed whole, as the reference does.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from ltdata.errors import Origin
from ltdata.readers.formats.fields import MappedFormat, RecordView
from ltdata.readers.formats.tags import split_tagged
from ltdata.readers.formats.turns import looks_like_chat, read_exchange
from ltdata.records import Trace


@dataclass(frozen=True, slots=True, kw_only=True)
class ShareGPT(MappedFormat):
    """ShareGPT conversations (from/value); reasoning found by <think>-style tags, else the whole output."""

    name: ClassVar[str] = "sharegpt"
    uses: ClassVar[tuple[str, ...]] = ("id", "system")
    KEYS: ClassVar[dict[str, str]] = {"key": "conversations", "role_key": "from", "text_key": "value"}

    def detect(self, record: dict[str, Any]) -> bool:
        return looks_like_chat(record, **self.KEYS)

    def to_trace(self, record: dict[str, Any], origin: Origin) -> Trace:
        view = self.view(record, origin)
        chat = read_exchange(view, **self.KEYS)
        preamble, reasoning, answer = self.split(chat.output, view=view, field=chat.output_field)
        system = self.system(view)
        return view.trace(prompt=chat.prompt, reasoning=reasoning, reasoning_field=chat.output_field,
                          answer=answer, preamble=preamble, system=chat.system if system is None else system)

    def split(self, text: str, *, view: RecordView, field: str) -> tuple[str, str, str]:
        """`(preamble, reasoning, answer)` of the assistant text."""
        return split_tagged(text, view=view, field=field)
