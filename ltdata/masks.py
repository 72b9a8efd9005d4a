"""Attention masks rebuilt from the shard's interval columns: one row (numpy) or a padded batch (torch).

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
the cache rows' attend_from to their thought's first token). The L x L matrix exists only in a batch.
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import torch

# Rows of a batch are grouped into runs that see the same keys (up to the causal cut); a run is
# never longer than this, which bounds the per-run triangle fix-up to L * RUN / 2 elements.
RUN = 64
# numpy dtypes with the item size of each mask dtype (bf16 has none of its own: its bits go in uint16)
_NUMPY_DTYPES = {torch.bool: np.bool_, torch.float16: np.float16, torch.bfloat16: np.uint16,
                 torch.float32: np.float32, torch.float64: np.float64}


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


def bool_mask(attend_from: torch.Tensor, visible_until: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """bool [B, 1, L, L] from right-padded [B, L] columns and the real lengths [B]; True = may attend.

    Padding keys are invisible to real rows, and each padding row attends to itself only, so no row
    is ever fully masked (a fully masked softmax row is NaN). Use `additive_mask` for eager attention.
    """
    return _batch_mask(attend_from, visible_until, lengths, allowed=True, masked=False, dtype=torch.bool)


def additive_mask(attend_from: torch.Tensor, visible_until: torch.Tensor, lengths: torch.Tensor,
                  dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """The same mask as 0 (attend) / `torch.finfo(dtype).min` (masked), [B, 1, L, L] of `dtype`.

    This is the form both `sdpa` and `eager` honour: transformers 5.x passes a 4D mask through as is
    and eager *adds* it to the scores, so a bool mask there is silently ignored (True + x = x + 1).
    """
    return _batch_mask(attend_from, visible_until, lengths, allowed=0.0, masked=torch.finfo(dtype).min,
                       dtype=dtype)


def block_mask(attend_from: torch.Tensor, visible_until: torch.Tensor, lengths: torch.Tensor, *,
               device: str | torch.device = "cpu", block_size: int = 128):
    """A FlexAttention `BlockMask` whose `mask_mod` is the same rule on indices (no L x L tensor kept).

    Pass it as `attention_mask` to a model loaded with `attn_implementation="flex_attention"`. On CPU
    FlexAttention runs forward only (its backward is unsupported there); train with `additive_mask`.
    """
    from torch.nn.attention.flex_attention import create_block_mask

    attend_from, visible_until, lengths = _columns(attend_from, visible_until, lengths, device=device)
    batch, length = attend_from.shape

    def mask_mod(b, h, q, kv):
        real = q < lengths[b]
        visible = (kv <= q) & (kv >= attend_from[b, q]) & (q < visible_until[b, kv]) & (kv < lengths[b])
        return torch.where(real, visible, kv == q)

    return create_block_mask(mask_mod, batch, None, length, length, device=device, BLOCK_SIZE=block_size)


def _columns(attend_from, visible_until, lengths, *, device=None):
    """Checked int32 columns on one device, with `visible_until` clipped to each sample's length."""
    attend_from = torch.as_tensor(attend_from, device=device)
    device = attend_from.device
    visible_until = torch.as_tensor(visible_until, device=device)
    lengths = torch.as_tensor(lengths, device=device)
    if attend_from.dim() != 2 or visible_until.shape != attend_from.shape or lengths.shape != attend_from.shape[:1]:
        raise ValueError(f"expected attend_from and visible_until of shape [B, L] and lengths [B], got "
                         f"{tuple(attend_from.shape)}, {tuple(visible_until.shape)} and {tuple(lengths.shape)}")
    lengths = lengths.to(torch.int32)
    visible_until = torch.minimum(visible_until.to(torch.int32), lengths[:, None])
    return attend_from.to(torch.int32), visible_until, lengths


def _batch_mask(attend_from, visible_until, lengths, *, allowed, masked, dtype) -> torch.Tensor:
    """Build the [B, 1, L, L] mask with one pass over its L*L elements.

    Rows between two consecutive "events" (a key's visibility ends, `attend_from` changes, padding
    starts, or every RUN rows) see exactly the same keys up to their causal cut. So: one table row per
    run (O(runs * L)), one gather of table rows into the output (the only L*L pass), then the small
    upper triangle inside each run is masked through flat indices (O(L * RUN)). On the example above:

        runs: rows [0, 7), [7, 12), [12, 14)   (visibility ends at O1 = 7 and O2 = 12)
                   P0 P1 a0 a1 S1 c1 c2 O1 b0 S2 d1 d2 O2  E
        run 0       1  1  1  1  1  1  1  .  .  .  .  .  .  .
        run 1       1  1  .  .  .  1  1  1  1  1  1  1  .  .
        run 2       1  1  .  .  .  1  1  1  .  .  1  1  1  1
        row i = the row of its run, with keys i < j < (end of the run) masked: b0 = run 1 minus S2 d1 d2
    """
    attend_from, visible_until, lengths = _columns(attend_from, visible_until, lengths)
    batch, length = attend_from.shape
    starts, ends, sample, run_of_row = _runs(attend_from, visible_until, lengths)
    device = attend_from.device
    # Key j is seen by the run [start, end) iff attend_from <= j < end <= visible_until[j]; the
    # padding run sees nothing (its end is taken as 0 here).
    end = torch.where(starts >= lengths[sample], 0, ends)[:, None]
    keys = torch.arange(length, device=device, dtype=torch.int32)
    sees = keys < end
    sees &= visible_until[sample] >= end
    since = attend_from.view(-1)[sample * length + starts]
    if bool((since > 0).any()):
        sees &= keys >= since[:, None]
    table = torch.where(sees, torch.tensor(allowed, dtype=dtype, device=device),
                        torch.tensor(masked, dtype=dtype, device=device))
    out = torch.index_select(table, 0, run_of_row, out=_empty((batch * length, length), dtype, device))
    flat = out.view(-1)
    flat.index_fill_(0, _run_triangles(ends[run_of_row], lengths, length), masked)
    rows = torch.arange(batch * length, device=device)
    pad_rows = rows[(rows % length) >= lengths.repeat_interleave(length)]
    flat.index_fill_(0, pad_rows * length + pad_rows % length, allowed)           # padding rows see themselves
    return out.view(batch, 1, length, length)


def _empty(shape: tuple[int, ...], dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    """An uninitialised output. On the host it comes from numpy, which asks the kernel for transparent
    huge pages on large arrays (torch's allocator does so only with THP_MEM_ALLOC_ENABLE=1): with 4 KiB
    pages, faulting in the L*L output costs three times the gather that fills it."""
    if device.type != "cpu" or dtype not in _NUMPY_DTYPES:
        return torch.empty(shape, dtype=dtype, device=device)
    return torch.from_numpy(np.empty(shape, dtype=_NUMPY_DTYPES[dtype])).view(dtype)


def _runs(attend_from, visible_until, lengths):
    """Runs of rows that see the same keys: start, end and sample of each run, and each row's run."""
    batch, length = attend_from.shape
    device = attend_from.device
    position = torch.arange(length, device=device)
    event = torch.zeros(batch, length + 1, dtype=torch.bool, device=device)
    event.scatter_(1, visible_until.long(), True)
    event = event[:, :length].contiguous()
    event[:, 1:] |= attend_from[:, 1:] != attend_from[:, :-1]
    event[:, ::RUN] = True
    event |= position == lengths[:, None]
    flat = event.view(-1)
    run_of_row = flat.cumsum(0) - 1
    first_rows = flat.nonzero().squeeze(1)
    sample = first_rows // length
    starts = (first_rows - sample * length).to(torch.int32)
    same_sample = torch.cat([sample[1:] == sample[:-1], sample.new_zeros(1, dtype=torch.bool)])
    ends = torch.where(same_sample, starts.roll(-1), length).to(torch.int32)
    return starts, ends, sample, run_of_row


def _run_triangles(row_ends: torch.Tensor, lengths: torch.Tensor, length: int) -> torch.Tensor:
    """Flat indices of (i, j) with i < j < end of i's run, for real rows: the causal cut inside runs."""
    row = torch.arange(lengths.shape[0] * length, device=row_ends.device)
    i = row % length
    counts = torch.where(i < lengths.repeat_interleave(length), row_ends.long() - i - 1, 0)
    # Row r's cut starts at flat index r * L + i + 1; element e of the run-length expansion is
    # base[owner] + e, with base = r * L + i + 1 - (elements before row r).
    base = row * length + i + 1 - (counts.cumsum(0) - counts)
    total = int(counts.sum())
    return torch.repeat_interleave(base, counts, output_size=total) + torch.arange(total, device=row.device)
