"""Token bounds on thoughts for any splitter: merge thoughts under K tokens, split thoughts over M.

A thought shorter than its cache saves nothing at inference and still costs a splitter, the cache
and a continue token in training; a thought far longer than the rest is hard to compress. The
bounds wrap whatever splitter a build uses (built-in or plugin) and count in the build's tokenizer.
"""
from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Any, Callable

from ltdata.config import bound_problems
from ltdata.errors import ConfigError
from ltdata.splitters.base import Span, check_spans
from ltdata.splitters.thought import SENTENCE_END
from ltdata.splitters.tokencount import SpanCounter, check_tokenizer, token_offsets

Count = Callable[[int, int], int]


@dataclass(frozen=True, slots=True, kw_only=True)
class BoundedSplitter:
    """Another splitter's spans, with every thought brought within [min_tokens, max_tokens] tokens.

    First each span over max_tokens is cut at sentence ends (`[.!?]` + whitespace, or a blank-line
    run), packing sentences greedily; a sentence still over max_tokens is cut at the last token
    boundary that keeps the piece within it. Then each span under min_tokens takes in the spans after
    it until it reaches min_tokens, and one still short (the last, or one whose next neighbour would
    take it past max_tokens) joins the span before it. A merge never passes max_tokens, so no thought
    exceeds it; a thought stays under min_tokens only where every merge would. Merges only remove
    cuts, so blocks join only at the wrapped splitter's boundaries. Counts are exact: each thought
    encoded on its own, as the layout encodes it.
    """

    splitter: Any
    tokenizer: Any = field(repr=False)
    min_tokens: int | None = None
    max_tokens: int | None = None
    name: str = "splitter"

    def __post_init__(self) -> None:
        problems = bound_problems(self.min_tokens, self.max_tokens)
        if problems:
            raise ConfigError(problems)
        check_tokenizer(self.tokenizer, needed_by="min_thought_tokens/max_thought_tokens")

    def split(self, text: str) -> list[Span]:
        spans = check_spans(self.splitter.split(text), text, splitter=self.name)
        return bound_spans(text, spans, SpanCounter(self.tokenizer, text, spans), tokenizer=self.tokenizer,
                           min_tokens=self.min_tokens, max_tokens=self.max_tokens)


def bound_spans(text: str, spans: list[Span], count: Count, *, tokenizer: Any, min_tokens: int | None,
                max_tokens: int | None) -> list[Span]:
    """`spans` (tiling `text`) with the over-long ones split, then the short ones merged (see BoundedSplitter)."""
    if max_tokens is not None:
        spans = [piece for span in spans for piece in split_long(text, span, count, tokenizer, max_tokens)]
    if min_tokens is not None:
        spans = merge_short(spans, count, min_tokens, max_tokens)
    return spans


def split_long(text: str, span: Span, count: Count, tokenizer: Any, max_tokens: int) -> list[Span]:
    """Cut `span` into pieces of at most max_tokens tokens: at the last sentence end that fits, else a token cut."""
    start, end = span
    ends = [m.end() for m in SENTENCE_END.finditer(text, start, end) if m.end() < end]
    pieces: list[Span] = []
    while count(start, end) > max_tokens:
        first = bisect_right(ends, start)
        low, high, fitting = first, len(ends), None
        while low < high:                     # the last sentence end whose piece fits (counts grow with the end)
            middle = (low + high) // 2
            if count(start, ends[middle]) <= max_tokens:
                fitting, low = middle, middle + 1
            else:
                high = middle
        cut = ends[fitting] if fitting is not None else token_cut(text, start, end, count, tokenizer, max_tokens)
        if cut >= end:                        # no token boundary at all: the span stays whole
            break
        pieces.append((start, cut))
        start = cut
    return pieces + [(start, end)]


def token_cut(text: str, start: int, end: int, count: Count, tokenizer: Any, max_tokens: int) -> int:
    """The cut after the longest run of whole tokens from `start` that encodes alone in at most max_tokens.

    Candidates are the starts of tokens max_tokens, max_tokens - 1, ... of `text[start:end]` (a token
    that shares a character with the one before, as byte-level BPEs do inside one character, is no
    boundary); with none, the first clean boundary after token max_tokens.
    """
    offsets = token_offsets(tokenizer, text[start:end])
    clean = [k for k in range(1, len(offsets)) if offsets[k][0] >= offsets[k - 1][1] and offsets[k][0] > 0]
    for k in reversed([k for k in clean if k <= max_tokens]):
        if count(start, start + offsets[k][0]) <= max_tokens:
            return start + offsets[k][0]
    later = [k for k in clean if k > max_tokens]
    return start + offsets[later[0]][0] if later else end


def merge_short(spans: list[Span], count: Count, min_tokens: int, max_tokens: int | None) -> list[Span]:
    """Join each span under min_tokens with the next (then, if still short, with the previous), within max_tokens."""
    def absorb(spans: list[Span], short_is_previous: bool) -> list[Span]:
        out: list[Span] = []
        for span in spans:
            if out and count(*(out[-1] if short_is_previous else span)) < min_tokens:
                joined = (out[-1][0], span[1])
                if max_tokens is None or count(*joined) <= max_tokens:
                    out[-1] = joined
                    continue
            out.append(span)
        return out

    return absorb(absorb(spans, short_is_previous=True), short_is_previous=False)
