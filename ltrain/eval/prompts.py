"""The paper's evaluation prompt, rendered with the training template so prompts match exactly.

User turn: "Return your final response within \\boxed{}. " + question (+ "A. ..." lines for
multiple choice), under the Bespoke-Stratos system prompt the models were trained with (verbatim,
typo "analisying" included: a model trained on it should see it again). The text goes through
`ltdata.layout.template` and is tokenised with no auto-added special tokens, as `ltdata build` does.
"""
from __future__ import annotations

from typing import Sequence

from ltdata.layout.template import PromptTemplate, resolve_template
from ltrain.eval.items import LETTERS, EvalItem

INSTRUCTION = "Return your final response within \\boxed{}. "

# Bespoke-Stratos-17k's `system` field (Bespoke Labs' SKY_T1_FIXED); `'\\n\\n'` is a literal backslash-n pair.
BESPOKE_SYSTEM_PROMPT = (
    "Your role as an assistant involves thoroughly exploring questions through a systematic long thinking "
    "process before providing the final precise and accurate solutions. This requires engaging in a "
    "comprehensive cycle of analysis, summarizing, exploration, reassessment, reflection, backtracing, and "
    "iteration to develop well-considered thinking process. Please structure your response into two main "
    "sections: Thought and Solution. In the Thought section, detail your reasoning process using the "
    "specified format: <|begin_of_thought|> {thought with steps separated with '\\n\\n'} <|end_of_thought|> "
    "Each step should include detailed considerations such as analisying questions, summarizing relevant "
    "findings, brainstorming new ideas, verifying the accuracy of the current steps, refining any errors, "
    "and revisiting previous steps. In the Solution section, based on various attempts, explorations, and "
    "reflections from the Thought section, systematically present the final solution that you deem "
    "correct. The solution should remain a logical, accurate, concise expression style and detail "
    "necessary step needed to reach the conclusion, formatted as follows: <|begin_of_solution|> {final "
    "formatted, precise, and clear solution} <|end_of_solution|> Now, try to solve the following question "
    "through the above guidelines:"
)


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
