"""Token counts and offsets in the build's tokenizer, measured as the layout encodes a thought.

The layout tokenises every thought on its own with no special tokens added, so a thought's length in
the shard is `len(tokenizer(thought_text))`. Counting the same way here makes a bound of K tokens a
bound on what the model is trained on, not an estimate of it.
"""
from __future__ import annotations

from typing import Any, Callable

from ltdata.errors import ConfigError


def check_tokenizer(tokenizer: Any, *, needed_by: str) -> None:
    """Raise ConfigError naming `needed_by` unless `tokenizer` is a fast (offset-mapping) tokenizer."""
    if tokenizer is None:
        raise ConfigError(f"{needed_by}: needs the build's tokenizer (make_splitter(..., tokenizer=...))")
    if not getattr(tokenizer, "is_fast", False):
        raise ConfigError(f"{needed_by}: needs a fast tokenizer with offset mappings, got {type(tokenizer).__name__}")


def encoder(tokenizer: Any) -> Callable[[list[str]], list[list[int]]]:
    """The layout's own batch encoder for `tokenizer` (its Rust tokenizer directly where that is exact)."""
    from ltdata.sequence.builder import batch_encoder     # imported here: the layout imports the splitters

    return batch_encoder(tokenizer)


def token_offsets(tokenizer: Any, text: str) -> list[tuple[int, int]]:
    """(start, end) character offsets of the tokens of `text` encoded on its own."""
    encoding = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True,
                         return_attention_mask=False, verbose=False)
    return [(int(s), int(e)) for s, e in encoding["offset_mapping"]]


class SpanCounter:
    """Exact token counts of `text[start:end]`, memoised; seeded with the spans a splitter returned."""

    def __init__(self, tokenizer: Any, text: str, spans: list[tuple[int, int]]):
        self.encode = encoder(tokenizer)
        self.text = text
        self.known = dict(zip(spans, map(len, self.encode([text[s:e] for s, e in spans])))) if spans else {}

    def __call__(self, start: int, end: int) -> int:
        key = (start, end)
        if key not in self.known:
            self.known[key] = len(self.encode([self.text[start:end]])[0])
        return self.known[key]
