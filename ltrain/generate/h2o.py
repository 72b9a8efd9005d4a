"""The H2O-style KV budget: keep the recent window plus the heavy hitters, never more than the budget.

Scores are the attention each entry has received so far, summed over queries, heads and layers
(eager attention with `output_attentions`). H2O proper ranks entries per head; one ranking per
sequence keeps one set of entries for every layer, so a single mask serves the whole model. The
entry counts (and so peak and Dep) are what a per-head H2O with the same budget would report.
"""
from __future__ import annotations

import torch

from ltrain.generate.cache import KVState


def enforce_budget(state: KVState, next_pos: torch.Tensor, *, budget: int, recent: int) -> None:
    """Evict the lowest-scoring entries outside the recent window so the next token sees <= `budget`."""
    excess = (state.sizes() + 1 - budget).clamp(min=0)
    if not bool(excess.any()):
        return
    old = state.valid & (state.pos < (next_pos - recent)[:, None])
    key = torch.where(old, state.score, torch.full_like(state.score, float("inf")))
    order = torch.sort(key, dim=1, stable=True).indices      # ties: the older entry goes first
    rank = torch.empty_like(order)
    rank.scatter_(1, order, torch.arange(order.shape[1], device=order.device).expand_as(order))
    state.pos = torch.where(rank < excess[:, None], -1, state.pos)
    state.evict(next_pos)
