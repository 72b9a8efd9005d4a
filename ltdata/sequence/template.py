"""Prompt templates: how system + user turn become the text before the assistant's output.

`chatml` and `llama3` are written out (as the reference and the paper used them) so a build never
depends on a tokenizer's bundled template changing; `tokenizer` uses `apply_chat_template`, and
`plain` serves tokenizers without any chat format. BOS is written explicitly, never auto-added.
"""
from __future__ import annotations

from dataclasses import dataclass

from ltdata.errors import ConfigError

# The paper's evaluation instruction (also the prefix Bespoke-Stratos puts before math questions).
INSTRUCTION = "Return your final response within \\boxed{}. "
# Bespoke-Stratos-17k's `system` field (Bespoke Labs' SKY_T1_FIXED), verbatim with its typo "analisying";
# `'\\n\\n'` is a literal backslash-n pair.
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


@dataclass(frozen=True, slots=True)
class PromptTemplate:
    """A resolved template: its kind and the token that ends the assistant turn."""

    kind: str
    eos_token: str

    def render(self, tokenizer, *, system: str | None, prompt: str) -> str:
        if self.kind == "chatml":
            head = f"<|im_start|>system\n{system}<|im_end|>\n" if system is not None else ""
            return f"{head}<|im_start|>user\n{prompt}<|im_end|>\n<|im_start|>assistant\n"
        if self.kind == "llama3":
            head = (f"<|start_header_id|>system<|end_header_id|>\n\n{system}<|eot_id|>"
                    if system is not None else "")
            return (f"<|begin_of_text|>{head}<|start_header_id|>user<|end_header_id|>\n\n{prompt}<|eot_id|>"
                    f"<|start_header_id|>assistant<|end_header_id|>\n\n")
        if self.kind == "tokenizer":
            messages = ([{"role": "system", "content": system}] if system is not None else [])
            messages.append({"role": "user", "content": prompt})
            return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        head = f"{system}\n\n" if system is not None else ""
        return f"{head}{prompt}\n\n"


def resolve_template(kind: str, tokenizer) -> PromptTemplate:
    """Pick the template (`auto`: from the vocabulary) and check the tokenizer can serve it."""
    vocab = tokenizer.get_vocab()
    if kind == "auto":
        if "<|im_start|>" in vocab and "<|im_end|>" in vocab:
            kind = "chatml"
        elif "<|start_header_id|>" in vocab and "<|eot_id|>" in vocab:
            kind = "llama3"
        elif getattr(tokenizer, "chat_template", None):
            kind = "tokenizer"
        else:
            kind = "plain"
    required = {"chatml": ["<|im_start|>", "<|im_end|>"],
                "llama3": ["<|begin_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"]}
    missing = [t for t in required.get(kind, []) if t not in vocab]
    if missing:
        raise ConfigError(f"template: {kind!r} needs tokens the tokenizer lacks: {', '.join(missing)}")
    if kind == "tokenizer" and not getattr(tokenizer, "chat_template", None):
        raise ConfigError("template: 'tokenizer' was asked for but the tokenizer has no chat_template")
    eos = {"chatml": "<|im_end|>", "llama3": "<|eot_id|>"}.get(kind) or tokenizer.eos_token
    if not eos or eos not in vocab:
        raise ConfigError("template: the tokenizer has no eos_token to end the assistant turn with")
    return PromptTemplate(kind=kind, eos_token=eos)
