"""Peak KV tokens and Dep in closed form from a sample's columns.

They follow from the same interval columns as the mask, so the numbers cannot drift from what the
model was trained to see. Conventions follow LightThinker's definitions (arXiv:2502.15589, Sec. 4.1 metrics): Dep sums, over
the tokens the model emits and feeds back, the context each attends to (itself included); peak is the
largest KV cache seen right after tokens are appended and before the finished thought is evicted.
`ltrain generate` measures the same two numbers while decoding, and the tests hold them equal.
"""
from __future__ import annotations

import numpy as np

from ltdata.masks import visible_counts
from ltdata.records import Role

IGNORE_INDEX = -100


def generated_rows(role: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """bool [L]: tokens the model emits and feeds back: trained ones (thoughts, splitters, answer, and
    AnLLM's anchors), except EOS, which ends decoding and never enters the cache. Forced tokens (cache
    and continue blocks) carry no label, so they are never counted."""
    return (np.asarray(labels) != IGNORE_INDEX) & (np.asarray(role) != Role.EOS)


def dependency(attend_from: np.ndarray, visible_until: np.ndarray, role: np.ndarray, labels: np.ndarray) -> int:
    """Dep: the sum of visible keys over the generated rows."""
    counts = visible_counts(attend_from, visible_until)
    return int(counts[generated_rows(role, labels)].sum())


def peak_tokens(visible_until: np.ndarray, role: np.ndarray) -> int:
    """Largest KV cache over the steps, counted after each feed and before eviction.

    After row i is fed the cache holds every key j <= i that some row from i on may still see
    (visible_until[j] > i), plus, at a <|continue|> row, the thought and splitter it hides: the forced
    block [splitter, cache..., continue] is fed in one pass and its thought is evicted only after it.
    An AnLLM anchor is fed alone, so its thought is gone before the next token. The EOS row is left
    out: EOS is generated but never fed back, so it never enters the cache.
    """
    visible_until = np.asarray(visible_until, dtype=np.int64)
    role = np.asarray(role)
    length = len(visible_until)
    index = np.arange(length)
    # key j counts for rows j .. end_j - 1, where end_j = visible_until[j] (+1 if that row is a continue)
    lasts = visible_until + (role[np.minimum(visible_until, length - 1)] == Role.CONTINUE) * (visible_until < length)
    delta = np.zeros(length + 1, dtype=np.int64)
    np.add.at(delta, index, 1)
    np.add.at(delta, np.minimum(lasts, length), -1)
    alive = np.cumsum(delta)[:length]
    fed = role != Role.EOS
    return int(alive[fed].max()) if fed.any() else 0
