"""Shared span arithmetic for splitters: cut points to spans, and merging spans that are too short."""
from __future__ import annotations

from ltdata.splitters.base import Span


def spans_from_cuts(cuts: list[int], length: int) -> list[Span]:
    """Spans between sorted cut points (0 and `length` added); empty spans disappear."""
    points = sorted({0, length, *(c for c in cuts if 0 < c < length)})
    return list(zip(points, points[1:]))


def merge_short(spans: list[Span], min_chars: int | None) -> list[Span]:
    """Merge each span shorter than `min_chars` into the next one (the last into the previous)."""
    if not min_chars or len(spans) < 2:
        return spans
    merged: list[Span] = []
    start = spans[0][0]
    for _, end in spans:
        if end - start >= min_chars:
            merged.append((start, end))
            start = end
    if start < spans[-1][1]:
        if merged:
            merged[-1] = (merged[-1][0], spans[-1][1])
        else:
            merged.append((start, spans[-1][1]))
    return merged
