"""Packing: several samples in one row, kept apart by the mask columns, so rows are nearly full.

A packed row trains exactly like its samples run one by one (same logits, same summed loss),
because the interval columns already express document boundaries: only offsets change. Bins are
filled best-fit-decreasing, which on real length distributions leaves a few percent of padding.
"""
from __future__ import annotations

from bisect import bisect_left, insort
from typing import Mapping, Sequence

import numpy as np
from torch.utils.data import Dataset

from ltdata.errors import ConfigError
from ltdata.shards.schema import IGNORE_INDEX, MASK_COLUMNS, TOKEN_COLUMNS


def pack_rows(rows: Sequence[Mapping]) -> dict:
    """Concatenate samples into one row that trains exactly like the samples one by one.

    For a sample placed at offset o: `attend_from += o` and `visible_until += o` (its "visible to the
    end", n, becomes o + n, the end of its own document, which hides it from every later sample);
    `position_ids` stay per sample (restarting at 0); `labels[o] = -100` (packed, the previous
    sample's last token would otherwise learn to predict it; alone, that label is never used).
    `record_ids` and `sample_lengths` say what went where.
    """
    lengths = np.array([len(r["input_ids"]) for r in rows], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    columns = [c for c in TOKEN_COLUMNS if all(c in r for r in rows)]
    out: dict = {}
    for name in columns:
        parts = [np.asarray(r[name]) for r in rows]
        if name in MASK_COLUMNS:
            parts = [p.astype(np.int32) + int(o) for p, o in zip(parts, offsets)]
        out[name] = np.concatenate(parts)
    if "labels" in out:
        out["labels"] = out["labels"].astype(np.int64)
        out["labels"][offsets] = IGNORE_INDEX
    out["record_ids"] = [r.get("record_id", "") for r in rows]
    out["sample_lengths"] = lengths
    out["num_tokens"] = int(lengths.sum())
    return out


def plan_packs(lengths: Sequence[int] | np.ndarray, max_tokens: int) -> list[list[int]]:
    """Group sample indices into bins of at most `max_tokens` tokens (best-fit decreasing).

    Longest first, each into the fullest bin it still fits; O(N log N) with a sorted list of free
    room. Deterministic: the same lengths always give the same bins.
    """
    lengths = np.asarray(lengths, dtype=np.int64)
    if len(lengths) and lengths.max() > max_tokens:
        worst = int(np.argmax(lengths))
        raise ConfigError(f"max_tokens: sample {worst} has {lengths[worst]} tokens, more than max_tokens="
                          f"{max_tokens}; raise max_tokens or build with a smaller --max-length")
    bins: list[list[int]] = []
    free: list[tuple[int, int]] = []              # (room left, bin), sorted
    for index in np.argsort(-lengths, kind="stable").tolist():
        need = int(lengths[index])
        k = bisect_left(free, (need, -1))
        if k == len(free):
            bins.append([index])
            insort(free, (max_tokens - need, len(bins) - 1))
        else:
            room, b = free.pop(k)
            bins[b].append(index)
            insort(free, (room - need, b))
    return bins


class PackedDataset(Dataset):
    """Rows of `dataset` packed into rows of at most `max_tokens` tokens (see `pack_rows`).

    `dataset` is map-style; its `lengths` (as `ShardDataset` has) or the `lengths` argument decide
    the bins once, at construction. Shuffle the packed rows with the DataLoader or a sampler.
    """

    def __init__(self, dataset, max_tokens: int, *, lengths: Sequence[int] | None = None):
        self.dataset = dataset
        self.max_tokens = max_tokens
        sizes = np.asarray(lengths if lengths is not None else dataset.lengths, dtype=np.int64)
        self.packs = plan_packs(sizes, max_tokens)
        self.lengths = np.array([sizes[p].sum() for p in self.packs], dtype=np.int64)

    def __len__(self) -> int:
        return len(self.packs)

    def __getitem__(self, index: int) -> dict:
        return pack_rows([self.dataset[i] for i in self.packs[index]])


def padding_fraction(batches: Sequence[Sequence[int]], pad_to_multiple_of: int | None = None) -> float:
    """The share of padding in batches of rows with these lengths, as the collator pads them."""
    padded = real = 0
    for lengths in batches:
        width = max(lengths)
        if pad_to_multiple_of:
            width = -(-width // pad_to_multiple_of) * pad_to_multiple_of
        padded += width * len(lengths)
        real += sum(lengths)
    return 1 - real / padded if padded else 0.0
