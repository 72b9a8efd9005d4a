"""`EvalItem`: one benchmark question in a format-independent shape, whatever file it came from.

Every reader produces these and everything downstream (prompts, judging, stored samples) reads
only these fields, so a new benchmark format is one small converter and nothing else changes.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

Kind = Literal["numeric", "choice", "exact"]
KINDS: tuple[str, ...] = ("numeric", "choice", "exact")
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@dataclass(frozen=True, slots=True, kw_only=True)
class EvalItem:
    """A question with its gold answer.

    `gold` is a number as text (numeric), a letter (choice) or the target text (exact).
    `choices_in_question` marks items whose question already lists the options (BBH), so the
    prompt does not list them twice; `choices` is still set so answers can be matched by text.
    """

    id: str
    dataset: str
    subset: str
    question: str
    gold: str
    kind: Kind
    choices: tuple[str, ...] | None = None
    choices_in_question: bool = False
    source: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}")
        if self.kind == "choice" and not self.choices:
            raise ValueError(f"item {self.id!r}: a choice item needs choices")

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["choices"] = list(self.choices) if self.choices is not None else None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "EvalItem":
        choices = data.get("choices")
        return cls(id=data["id"], dataset=data["dataset"], subset=data.get("subset", ""),
                   question=data["question"], gold=data["gold"], kind=data["kind"],
                   choices=tuple(choices) if choices is not None else None,
                   choices_in_question=bool(data.get("choices_in_question", False)),
                   source=data.get("source", ""))
