"""Attention masks rebuilt from a shard row's interval columns.

Query i may attend key j  <=>  attend_from[i] <= j <= i  and  i < visible_until[j].

Two thoughts, n=2 cache tokens (P prompt, a/b thought text, S splitter, c/d cache, O continue, E eos):

           P0 P1 a0 a1 S1 c1 c2 O1 b0 S2 d1 d2 O2  E
    P0      1
    P1      1  1
    a0      1  1  1
    a1      1  1  1  1
    S1      1  1  1  1  1
    c1      1  1  1  1  1  1                         cache rows see their own thought
    c2      1  1  1  1  1  1  1
    O1      1  1  .  .  .  1  1  1                   from <|continue|> on, thought 1 is gone
    b0      1  1  .  .  .  1  1  1  1
    S2      1  1  .  .  .  1  1  1  1  1
    d1      1  1  .  .  .  1  1  1  1  1  1
    d2      1  1  .  .  .  1  1  1  1  1  1  1
    O2      1  1  .  .  .  1  1  1  .  .  1  1  1
    E       1  1  .  .  .  1  1  1  .  .  1  1  1  1

visible_until = [14 14 7 7 7 14 14 14 12 12 14 14 14 14], attend_from = 0 (see_current would set
the cache rows' attend_from to their thought's first token). The L x L matrix exists only here.
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np


def dense_mask(row: Mapping[str, Any]) -> np.ndarray:
    """bool [L, L] for one shard row (a dict as from `pyarrow.Table.to_pylist()`); True = may attend."""
    attend_from = np.asarray(row["attend_from"], dtype=np.int64)
    visible_until = np.asarray(row["visible_until"], dtype=np.int64)
    return dense_mask_from_columns(attend_from, visible_until)


def dense_mask_from_columns(attend_from: np.ndarray, visible_until: np.ndarray) -> np.ndarray:
    length = len(attend_from)
    i = np.arange(length)[:, None]
    j = np.arange(length)[None, :]
    return (j <= i) & (j >= attend_from[:, None]) & (i < visible_until[None, :])


def visible_counts(attend_from: np.ndarray, visible_until: np.ndarray) -> np.ndarray:
    """How many keys each query attends to (the mask's row sums) in O(L), without the matrix.

    Key j is visible to queries i in [j, visible_until[j]); a difference array counts the keys alive
    at each i. Rows with attend_from > 0 (see_current cache rows, packed documents) subtract the
    alive keys before their window, counted directly over that short range.
    """
    attend_from = np.asarray(attend_from, dtype=np.int64)
    visible_until = np.asarray(visible_until, dtype=np.int64)
    length = len(attend_from)
    delta = np.zeros(length + 1, dtype=np.int64)
    np.add.at(delta, np.arange(length), 1)
    np.add.at(delta, np.minimum(visible_until, length), -1)
    counts = np.cumsum(delta)[:length]
    for i in np.flatnonzero(attend_from > 0):
        before = np.arange(attend_from[i])
        counts[i] -= int(np.count_nonzero(visible_until[before] > i))
    return counts
