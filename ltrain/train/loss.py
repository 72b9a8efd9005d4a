"""The training loss: a sum of token losses, normalised by the recipe over a whole optimizer step.

HF's built-in loss is a per-micro-batch mean, which weighs a short micro-batch's tokens more than a
long one's. We ask the model for logits only where a label follows (`logits_to_keep` as a bool
mask: the prompt and cache positions never reach the vocabulary projection) and sum the fp32
cross-entropy in chunks that are recomputed in the backward pass, so the fp32 copy of a
[tokens, vocab] matrix never exists at once.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch.utils.checkpoint import checkpoint

from ltdata.shards.schema import IGNORE_INDEX


def label_positions(labels: torch.Tensor) -> torch.Tensor:
    """bool [B, L]: positions t whose next token t+1 carries a label (the causal shift)."""
    keep = torch.zeros_like(labels, dtype=torch.bool)
    keep[:, :-1] = labels[:, 1:] != IGNORE_INDEX
    return keep


def shifted_targets(labels: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
    """The labels predicted at the `keep` positions, flattened in the same (row-major) order."""
    return labels[:, 1:][keep[:, :-1]]


def _chunk_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(logits.float(), targets, reduction="sum")


def token_loss_sum(logits: torch.Tensor, targets: torch.Tensor, *, chunk: int = 4096) -> torch.Tensor:
    """Sum over rows of -log softmax(logits)[target], in fp32; logits [N, V], targets [N]."""
    if logits.shape[0] == 0:
        return logits.float().sum() * 0.0   # keeps the graph, so every rank still runs its backward
    if logits.shape[0] <= chunk or not logits.requires_grad:
        return _chunk_loss(logits, targets)
    parts = [checkpoint(_chunk_loss, logits[i:i + chunk], targets[i:i + chunk], use_reentrant=False)
             for i in range(0, logits.shape[0], chunk)]
    return torch.stack(parts).sum()
