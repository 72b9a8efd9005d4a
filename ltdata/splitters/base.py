"""The splitter contract: text in, character spans that tile it out.

A splitter decides where thoughts end. Returning spans (not strings) lets the pipeline check that
nothing was lost or reordered, whatever the splitter does: the spans must cover the text exactly.
"""
from __future__ import annotations

from typing import Protocol, Sequence, runtime_checkable

from ltdata.errors import PluginError

Span = tuple[int, int]


@runtime_checkable
class Splitter(Protocol):
    """Splits reasoning text into thoughts.

    `split(text)` returns `(start, end)` character spans, in order, non-empty, that tile
    `text` exactly: the first starts at 0, each starts where the previous ended, the last ends at
    `len(text)`. Separators (e.g. the blank line that ends a thought) belong to a span.

    Constructors take keyword-only options (from `splitter_options`); a splitter that needs the
    tokenizer declares a `tokenizer` keyword and receives the build's tokenizer.
    """

    def split(self, text: str) -> Sequence[Span]: ...


def check_spans(spans: Sequence[Span], text: str, *, splitter: str) -> list[Span]:
    """Return spans as a list, or raise `PluginError` naming the splitter if they do not tile `text`."""
    out = [(int(s), int(e)) for s, e in spans]
    position = 0
    for k, (start, end) in enumerate(out):
        if start != position or end <= start:
            raise PluginError(
                f"splitter {splitter!r} returned spans that do not tile the text: span {k} is "
                f"({start}, {end}) but must start at {position} and be non-empty")
        position = end
    if position != len(text) or (not out and text):
        raise PluginError(f"splitter {splitter!r} returned spans that end at {position}, "
                          f"not at the end of the text ({len(text)})")
    return out
