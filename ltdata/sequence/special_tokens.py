"""The added tokens (splitter, continue, cache, Bespoke markers) and the tokenizer they go into.

Names follow the LightThinker reference so its checkpoint conventions carry over; unlike the
reference we never add "\\n\\n" as a token (it would change how every blank line tokenises).
Each token carries a description: the trainer initialises its embedding row from it.
"""
from __future__ import annotations

from dataclasses import dataclass

SPLITTER = "<|splitter|>"
CONTINUE = "<|continue|>"
RECOVER = "<|recover|>"
MARKERS = ("<|begin_of_thought|>", "<|end_of_thought|>", "<|begin_of_solution|>", "<|end_of_solution|>")

DESCRIPTIONS = {
    SPLITTER: "\n\n",
    CONTINUE: "continue to output according to previous content",
    RECOVER: "recover the token according to previous content",
    MARKERS[0]: "begin of thought",
    MARKERS[1]: "end of thought",
    MARKERS[2]: "begin of solution",
    MARKERS[3]: "end of solution",
}

FAMILY_CACHE_TOKENS = {"qwen": 9, "llama": 7}
DEFAULT_CACHE_TOKENS = 9


def cache_token(i: int) -> str:
    return f"<|o_{i}|>"


def describe(token: str) -> str:
    """The text whose token embeddings initialise `token`'s row."""
    if token in DESCRIPTIONS:
        return DESCRIPTIONS[token]
    if token.startswith("<|o_") and token.endswith("|>"):
        return f"compress output {token[4:-2]}"
    raise KeyError(token)


def tokenizer_family(tokenizer) -> str | None:
    """'qwen' or 'llama' from the vocabulary's chat tokens, None for anything else."""
    vocab = tokenizer.get_vocab()
    if "<|im_start|>" in vocab and "<|endoftext|>" in vocab:
        return "qwen"
    if "<|begin_of_text|>" in vocab and "<|start_header_id|>" in vocab:
        return "llama"
    return None


def default_cache_tokens(tokenizer) -> int:
    return FAMILY_CACHE_TOKENS.get(tokenizer_family(tokenizer), DEFAULT_CACHE_TOKENS)


@dataclass(frozen=True, slots=True)
class SpecialTokenIds:
    """The ids the layout inserts; written to the manifest as `special_tokens`."""

    splitter: int
    continue_: int
    cache: tuple[int, ...]
    eos: int

    def to_manifest(self) -> dict:
        return {"splitter": self.splitter, "continue": self.continue_, "cache": list(self.cache), "eos": self.eos}

    @classmethod
    def from_manifest(cls, data: dict) -> "SpecialTokenIds":
        return cls(splitter=data["splitter"], continue_=data["continue"], cache=tuple(data["cache"]),
                   eos=data["eos"])


def added_token_names(n_cache: int) -> list[str]:
    """The tokens a build adds, in the reference's order (without its accidental "\\n\\n")."""
    return [SPLITTER, CONTINUE, RECOVER, *MARKERS, *(cache_token(i) for i in range(n_cache))]


def add_special_tokens(tokenizer, n_cache: int) -> list[str]:
    """Add the missing tokens as special tokens (in place); return the names actually added."""
    vocab = tokenizer.get_vocab()
    missing = [t for t in added_token_names(n_cache) if t not in vocab]
    if missing:
        tokenizer.add_tokens(missing, special_tokens=True)
    return missing


def special_token_ids(tokenizer, n_cache: int, eos_token: str) -> SpecialTokenIds:
    vocab = tokenizer.get_vocab()
    return SpecialTokenIds(splitter=vocab[SPLITTER], continue_=vocab[CONTINUE],
                           cache=tuple(vocab[cache_token(i)] for i in range(n_cache)), eos=vocab[eos_token])
