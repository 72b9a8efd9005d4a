"""Peak KV tokens and Dep in closed form from a sample's columns.

They follow from the same interval columns as the mask, so the numbers cannot drift from what the
model was trained to see. Conventions follow LightThinker's definitions (spec §7.3): Dep sums, over
generated tokens, the context each attends to (itself included); peak is the largest KV cache seen
right after tokens are appended and before the finished thought is evicted.
"""
from __future__ import annotations

import numpy as np

from ltdata.masks import visible_counts
from ltdata.records import Role

GENERATED_ROLES = (Role.THOUGHT, Role.SPLITTER, Role.ANSWER)


def dependency(attend_from: np.ndarray, visible_until: np.ndarray, role: np.ndarray) -> int:
    """Dep: the sum of visible keys over generated (thought, splitter, answer) rows."""
    counts = visible_counts(attend_from, visible_until)
    return int(counts[np.isin(role, GENERATED_ROLES)].sum())


def peak_tokens(visible_until: np.ndarray, role: np.ndarray) -> int:
    """Largest KV cache: after step i it holds every key j <= i not yet evicted (visible_until[j] >= i).

    The EOS row is left out: EOS is generated but never fed back, so it never enters the cache.
    """
    visible_until = np.asarray(visible_until, dtype=np.int64)
    length = len(visible_until)
    delta = np.zeros(length + 1, dtype=np.int64)
    np.add.at(delta, np.arange(length), 1)
    np.add.at(delta, np.minimum(visible_until + 1, length), -1)
    alive = np.cumsum(delta)[:length]
    fed = np.asarray(role) != Role.EOS
    return int(alive[fed].max()) if fed.any() else 0
