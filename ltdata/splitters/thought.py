"""`thought`: one thought per blank-line paragraph, as in LightThinker's thought-level setting.

Reasoning models mark their steps with blank lines, so a paragraph is the paper's thought. The blank
line(s) that end a paragraph stay with it, so the model learns to emit the splitter right after a
paragraph break. Optional limits merge tiny paragraphs and split giant ones at sentence ends.
"""
from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

from ltdata.errors import ConfigError
from ltdata.splitters.base import Span
from ltdata.splitters.merge import merge_short, spans_from_cuts

# A line break followed by one or more whitespace-only lines: "\n\n", "\n\n\n", "\n  \n", "\r\n\r\n".
PARAGRAPH_END = re.compile(r"\n(?:[^\S\n]*\n)+")
# Where max_chars may cut: after [.!?] and the whitespace that follows, or after a blank-line run.
SENTENCE_END = re.compile(r"[.!?]\s+|\n(?:[^\S\n]*\n)+")
WHITESPACE = re.compile(r"\s")


def check_length(option: str, value: object, *, optional: bool = True) -> None:
    """Raise ConfigError naming `splitter_options.<option>` unless value is a positive int (or None if optional)."""
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        allowed = "a positive integer or None (off)" if optional else "a positive integer"
        raise ConfigError(f"splitter_options.{option}: must be {allowed}, got {value!r}")


def paragraph_cuts(text: str) -> list[int]:
    """Where paragraphs end: after each blank-line run that has text (not just whitespace) on both sides.

    So whitespace before the first line of text joins the first paragraph, and after the last, the last.
    """
    first = len(text) - len(text.lstrip())
    last = len(text.rstrip())
    return [m.end() for m in PARAGRAPH_END.finditer(text) if m.start() > first and m.end() < last]


def split_long(text: str, span: Span, max_chars: int) -> list[Span]:
    """Cut a span into pieces of at most max_chars characters.

    Each cut goes at the last sentence end (or blank-line run) within max_chars of the piece start,
    which packs sentences greedily; with none there, after the last whitespace; else at max_chars.
    """
    start, end = span
    ends = [m.end() for m in SENTENCE_END.finditer(text, start, end)]
    pieces: list[Span] = []
    while end - start > max_chars:
        limit = start + max_chars
        k = bisect_right(ends, limit)
        cut = ends[k - 1] if k and ends[k - 1] > start else _after_last_space(text, start, limit)
        pieces.append((start, cut))
        start = cut
    pieces.append((start, end))
    return pieces


def _after_last_space(text: str, start: int, limit: int) -> int:
    for index in range(limit - 1, start, -1):
        if WHITESPACE.match(text, index):
            return index + 1
    return limit


@dataclass(frozen=True, slots=True, kw_only=True)
class ThoughtSplitter:
    """Blank-line paragraphs (the paper's thoughts); the blank lines stay with the thought they end.

    "A.\\n\\nB.\\n\\n\\nC." -> "A.\\n\\n", "B.\\n\\n\\n", "C.". Options (None = off, as in the paper):
    min_chars merges a shorter paragraph into the next one (the last into the previous); then
    max_chars splits a longer piece at sentence ends (`[.!?]` + whitespace), packing sentences
    greedily, and a longer sentence at its last whitespace before the limit, else at the limit. So no
    thought exceeds max_chars; only the last piece of a split one can be shorter than min_chars.
    """

    min_chars: int | None = None
    max_chars: int | None = None

    def __post_init__(self) -> None:
        check_length("min_chars", self.min_chars)
        check_length("max_chars", self.max_chars)
        if self.min_chars is not None and self.max_chars is not None and self.min_chars > self.max_chars:
            raise ConfigError(f"splitter_options.min_chars: must not exceed max_chars, got "
                              f"min_chars={self.min_chars} > max_chars={self.max_chars}")

    def split(self, text: str) -> list[Span]:
        spans = merge_short(spans_from_cuts(paragraph_cuts(text), len(text)), self.min_chars)
        if self.max_chars is not None:
            spans = [piece for span in spans for piece in split_long(text, span, self.max_chars)]
        return spans
