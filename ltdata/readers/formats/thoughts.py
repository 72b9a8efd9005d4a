"""The LightThinker reference's training records: `question`, `system_prompt`, `thoughts_list`.

`thoughts_list` is already segmented, so it becomes `Trace.thoughts` as given (the splitter is not
consulted) and the reasoning is its concatenation. `gt_output` is ignored, as in the reference's
thought-level mode; `system_list`/`question_list` (prompt compression only) are ignored too.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from ltdata.errors import Origin
from ltdata.readers.formats.fields import MISSING, MappedFormat, display_path, lookup
from ltdata.records import Trace


@dataclass(frozen=True, slots=True, kw_only=True)
class Thoughts(MappedFormat):
    """LightThinker reference records: question, system_prompt, thoughts_list (pre-split thoughts)."""

    name: ClassVar[str] = "thoughts"
    uses: ClassVar[tuple[str, ...]] = ("id", "system", "prompt", "thoughts")

    def detect(self, record: dict[str, Any]) -> bool:
        return (isinstance(lookup(record, self.fields.get("thoughts", "thoughts_list")), list)
                and lookup(record, self.fields.get("prompt", "question")) is not MISSING)

    def to_trace(self, record: dict[str, Any], origin: Origin) -> Trace:
        view = self.view(record, origin)
        path = self.fields.get("thoughts", "thoughts_list")
        thoughts = view.get(path, kind=list)
        if not thoughts:
            raise view.fail("is an empty list", field=display_path(path), reason="empty_reasoning")
        for i in range(len(thoughts)):
            if not view.get(f"{path}.{i}", kind=str):
                raise view.fail("is an empty thought", field=display_path(f"{path}.{i}"),
                                reason="empty_reasoning")
        return view.trace(prompt=view.text(self.fields.get("prompt", "question")), reasoning="",
                          thoughts=list(thoughts), reasoning_field=display_path(path),
                          system=self.system(view, "system_prompt"))
