"""OpenAI-style `messages` (`role`/`content`), the layout of R1-distill SFT sets and chat APIs.

The last assistant `content` is cut by the same tag pairs as ShareGPT. If that turn carries a
`reasoning_content` string (DeepSeek API style), it is the reasoning and `content` the answer; the
output text is then `reasoning_content + content`, with no tags added between them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from ltdata.errors import Origin
from ltdata.readers.formats.fields import MappedFormat, display_path
from ltdata.readers.formats.tags import split_tagged
from ltdata.readers.formats.turns import looks_like_chat, read_exchange
from ltdata.records import Trace


@dataclass(frozen=True, slots=True, kw_only=True)
class Messages(MappedFormat):
    """OpenAI messages (role/content); tags in the last assistant content, or its reasoning_content."""

    name: ClassVar[str] = "messages"
    uses: ClassVar[tuple[str, ...]] = ("id",)
    KEYS: ClassVar[dict[str, str]] = {"key": "messages", "role_key": "role", "text_key": "content"}

    def detect(self, record: dict[str, Any]) -> bool:
        return looks_like_chat(record, **self.KEYS)

    def to_trace(self, record: dict[str, Any], origin: Origin) -> Trace:
        view = self.view(record, origin)
        chat = read_exchange(view, **self.KEYS)
        turn = chat.output_path.rsplit(".", 1)[0]
        reasoning = view.get(f"{turn}.reasoning_content", kind=str, required=False)
        if reasoning is not None:
            return view.trace(prompt=chat.prompt, reasoning=reasoning, answer=chat.output, system=chat.system,
                              reasoning_field=display_path(f"{turn}.reasoning_content"))
        preamble, reasoning, answer = split_tagged(chat.output, view=view, field=chat.output_field)
        return view.trace(prompt=chat.prompt, reasoning=reasoning, reasoning_field=chat.output_field,
                          answer=answer, preamble=preamble, system=chat.system)
