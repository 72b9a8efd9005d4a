"""The KV cache of a batch of sequences, with the training mask rule applied over position ids.

Every cached entry carries the position id it was computed at and `until`, the first query position
that may no longer see it. A query at position i sees entry j iff `lo[i] <= pos[j] <= i < until[j]`:
the shard rule (`attend_from <= j <= i < visible_until[j]`) in uncompressed positions, so the mask we
pass is the training mask by construction. Entries no future query can see are evicted from every
layer of the `DynamicCache` (transformers 5.x: `cache.layers[i].keys/.values`); a batch's rows are
packed to the front and padded to the longest row with invalid slots (pos = -1).
"""
from __future__ import annotations

import torch
from transformers import DynamicCache
from transformers.cache_utils import DynamicLayer

from ltdata.errors import ConfigError

NEVER = torch.iinfo(torch.long).max


class KVState:
    """A `DynamicCache` plus, per row and slot, the entry's position, `until` and (h2o) attention score."""

    def __init__(self, model, batch: int):
        self.cache = DynamicCache(config=model.config)
        odd = {type(layer).__name__ for layer in self.cache.layers if type(layer) is not DynamicLayer}
        if odd:
            raise ConfigError(f"model: KV eviction needs plain full-attention cache layers, this model has "
                              f"{', '.join(sorted(odd))} (sliding-window attention is not supported)")
        device = model.device
        self.pos = torch.empty(batch, 0, dtype=torch.long, device=device)
        self.until = torch.empty(batch, 0, dtype=torch.long, device=device)
        self.score = torch.empty(batch, 0, dtype=torch.float32, device=device)

    @property
    def valid(self) -> torch.Tensor:
        return self.pos >= 0

    def sizes(self) -> torch.Tensor:
        """KV entries held per row (padding slots excluded)."""
        return self.valid.sum(dim=1)

    def hide(self, row: int, first: int, last: int, from_pos: int) -> None:
        """Entries of `row` at positions first..last become invisible to queries at `from_pos` and later."""
        span = (self.pos[row] >= first) & (self.pos[row] <= last)
        self.until[row] = torch.where(span, self.until[row].clamp(max=from_pos), self.until[row])

    def step_mask(self, q_pos: torch.Tensor, q_lo: torch.Tensor, q_until: torch.Tensor,
                  dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
        """Append the step's slots; return (allowed [B, Q, K+Q] bool, additive mask [B, 1, Q, K+Q]).

        Padding queries (pos -1) attend only to themselves, so no row of the softmax is empty.
        """
        self.pos = torch.cat([self.pos, q_pos], dim=1)
        self.until = torch.cat([self.until, q_until], dim=1)
        self.score = torch.cat([self.score, torch.zeros(q_pos.shape, device=q_pos.device)], dim=1)
        keys, queries = self.pos[:, None, :], q_pos[:, :, None]
        allowed = ((keys >= 0) & (keys >= q_lo[:, :, None]) & (keys <= queries)
                   & (queries < self.until[:, None, :]))
        width, steps = self.pos.shape[1], q_pos.shape[1]
        own = torch.zeros_like(allowed)
        own[:, torch.arange(steps), torch.arange(width - steps, width)] = True
        allowed = allowed | (own & (queries < 0))
        additive = torch.zeros(allowed.shape, dtype=dtype, device=allowed.device)
        additive.masked_fill_(~allowed, torch.finfo(dtype).min)
        return allowed, additive[:, None]

    def add_scores(self, attentions: tuple[torch.Tensor, ...]) -> None:
        """h2o: accumulate the attention each entry received, summed over layers, heads and queries."""
        total = sum(a.float().sum(dim=(1, 2)) for a in attentions)
        self.score = self.score + total * self.valid

    def evict(self, next_pos: torch.Tensor, rows: torch.Tensor | None = None) -> None:
        """Drop entries no query from `next_pos` on can see, and rows not in `rows`, on every layer."""
        dead = (self.pos < 0) | (self.until <= next_pos[:, None])
        if rows is not None and rows.numel() < self.pos.shape[0]:
            self._select(rows, dead)
        elif bool(dead.any()):
            self._select(torch.arange(self.pos.shape[0], device=self.pos.device), dead)

    def _select(self, rows: torch.Tensor, dead: torch.Tensor) -> None:
        keep = ~dead[rows]
        width = int(keep.sum(dim=1).max()) if keep.numel() else 0
        # stable sort puts each row's kept slots first, in cache order; the tail is padding
        order = torch.sort((~keep).to(torch.int8), dim=1, stable=True).indices[:, :width]
        filled = torch.gather(keep, 1, order)
        self.pos = torch.where(filled, torch.gather(self.pos[rows], 1, order), -1)
        self.until = torch.where(filled, torch.gather(self.until[rows], 1, order), NEVER)
        self.score = torch.where(filled, torch.gather(self.score[rows], 1, order), 0.0)
        for layer in self.cache.layers:
            layer.keys, layer.values = _take(layer.keys, rows, order), _take(layer.values, rows, order)


def _take(states: torch.Tensor, rows: torch.Tensor, order: torch.Tensor) -> torch.Tensor:
    """states[rows[b], :, order[b]] for [B, heads, K, D] tensors, in one copy (index_select for one row)."""
    if rows.numel() == 1:
        return states[rows[0]].index_select(1, order[0])[None]
    return states.transpose(1, 2)[rows[:, None], order].transpose(1, 2)
