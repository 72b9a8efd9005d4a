"""The paper's evaluation prompt, rendered with the training template so prompts match exactly.

User turn: "Return your final response within \\boxed{}. " + question (+ "A. ..." lines for
multiple choice), under the system turn the checkpoint's training prompts carry (ltrain.json; for
checkpoints that do not record it, the Bespoke-Stratos prompt verbatim, typo "analisying" included: a
model trained on it should see it again). The text goes through
`ltdata.sequence.template` and is tokenised with no auto-added special tokens, as `ltdata build` does.
"""
from __future__ import annotations

from typing import Sequence

from ltdata.sequence.template import BESPOKE_SYSTEM_PROMPT, INSTRUCTION, PromptTemplate, resolve_template
from ltrain.eval.items import LETTERS, EvalItem

__all__ = ["BESPOKE_SYSTEM_PROMPT", "FROM_CHECKPOINT", "INSTRUCTION", "PromptBuilder", "checkpoint_system_prompt",
           "render_choices", "user_prompt"]

FROM_CHECKPOINT = "checkpoint"     # `--system-prompt` not given: the checkpoint's training system turn


def checkpoint_system_prompt(meta: dict) -> str | None:
    """The system turn of the checkpoint's training prompts (ltrain.json `system_prompt`, null = none).

    Checkpoints written before ltrain recorded it fall back to the Bespoke-Stratos prompt.
    """
    return meta["system_prompt"] if "system_prompt" in meta else BESPOKE_SYSTEM_PROMPT


def render_choices(choices: Sequence[str]) -> str:
    return "\n".join(f"{LETTERS[i]}. {choice}" for i, choice in enumerate(choices))


def user_prompt(item: EvalItem) -> str:
    """The user turn for `item`: the instruction, the question, and its choices unless already shown."""
    text = INSTRUCTION + item.question
    if item.choices and not item.choices_in_question:
        text += "\n" + render_choices(item.choices)
    return text


class PromptBuilder:
    """Renders and tokenises prompts for one tokenizer and template (resolved once)."""

    def __init__(self, tokenizer, *, template: str = "auto", system_prompt: str | None = BESPOKE_SYSTEM_PROMPT):
        self.tokenizer = tokenizer
        self.template: PromptTemplate = resolve_template(template, tokenizer)
        self.system_prompt = system_prompt

    def text(self, item: EvalItem) -> str:
        return self.template.render(self.tokenizer, system=self.system_prompt, prompt=user_prompt(item))

    def encode(self, texts: list[str]) -> list[list[int]]:
        return [list(ids) for ids in self.tokenizer(texts, add_special_tokens=False)["input_ids"]]
