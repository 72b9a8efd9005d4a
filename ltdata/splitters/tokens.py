"""`tokens`: fixed windows of N tokens of the build's tokenizer (the paper's token-level setting).

The text is tokenised once with offsets and cut where every N-th token starts. A byte-level BPE can
split one character over several tokens; a cut there moves forward to the next token that starts on
a clean boundary, so spans always fall on character (and token) boundaries.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ltdata.errors import ConfigError
from ltdata.splitters.base import Span
from ltdata.splitters.merge import spans_from_cuts
from ltdata.splitters.thought import check_length


def window_cuts(offsets: list[tuple[int, int]], tokens: int) -> list[int]:
    """Start offsets of tokens N, 2N, ... (N = `tokens`): character positions, strictly increasing.

    A cut goes before token i only if token i starts at or after the end of token i-1 (the two share
    no character) and after the previous cut; otherwise it moves to the next token where that holds.
    """
    cuts: list[int] = []
    previous = 0
    index = tokens
    while index < len(offsets):
        start = offsets[index][0]
        if start >= offsets[index - 1][1] and start > previous:
            cuts.append(start)
            previous = start
            index += tokens
        else:
            index += 1
    return cuts


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenWindowSplitter:
    """Windows of N tokens (option tokens, default 64) of the build's tokenizer, cut on token boundaries.

    Window k holds the tokens whose start offsets fall in its span: exactly N, except the last (the
    rest) and a window whose N-th boundary falls inside a character (it takes the few tokens up to
    the next clean boundary). Needs a fast (offset-mapping) tokenizer, passed in by the build.
    """

    tokens: int = 64
    tokenizer: Any = field(repr=False)

    def __post_init__(self) -> None:
        check_length("tokens", self.tokens, optional=False)
        if self.tokenizer is None:
            raise ConfigError("splitter 'tokens': needs the build's tokenizer (make_splitter(..., tokenizer=...))")
        if not getattr(self.tokenizer, "is_fast", False):
            raise ConfigError(f"splitter 'tokens': needs a fast tokenizer with offset mappings, got "
                              f"{type(self.tokenizer).__name__}")

    def split(self, text: str) -> list[Span]:
        encoding = self.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True, verbose=False)
        return spans_from_cuts(window_cuts(encoding["offset_mapping"], self.tokens), len(text))
