"""OpenThoughts-114k `metadata` columns: `problem`, `deepseek_reasoning`, `deepseek_solution`.

Reasoning is `deepseek_reasoning` and answer `deepseek_solution` (`ground_truth_solution` is the gold
answer and is ignored). The `default` config's `system` + `conversations` is read by `bespoke`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ltdata.readers.formats.plain import Plain


@dataclass(frozen=True, slots=True, kw_only=True)
class OpenThoughts(Plain):
    """OpenThoughts metadata: problem, deepseek_reasoning, deepseek_solution (optional system)."""

    name: ClassVar[str] = "openthoughts"
    uses: ClassVar[tuple[str, ...]] = ("id", "system", "prompt", "reasoning", "answer")
    DEFAULTS: ClassVar[dict[str, tuple[str, ...]]] = {
        "prompt": ("problem",), "reasoning": ("deepseek_reasoning",), "answer": ("deepseek_solution",),
    }
