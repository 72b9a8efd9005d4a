"""Choosing the next token: greedy, seeded temperature/top-p sampling, or teacher forcing.

A chooser sees the last logits of the rows still decoding and returns one token per row. Teacher
forcing replays a given output through the same loop, which is how eviction is checked against the
training mask and how peak/Dep of a known continuation are measured.
"""
from __future__ import annotations

from typing import Protocol, Sequence

import torch


class Chooser(Protocol):
    def __call__(self, logits: torch.Tensor, rows: Sequence[int], step: Sequence[int]) -> list[int]:
        """Next token for each of `rows` (indices into the call's prompts); `step`: tokens each has emitted."""


class Greedy:
    def __call__(self, logits: torch.Tensor, rows: Sequence[int], step: Sequence[int]) -> list[int]:
        return logits.argmax(dim=-1).tolist()


class Sampler:
    """Temperature + nucleus sampling; row i of a call draws from its own generator seeded `seed + i`."""

    def __init__(self, *, temperature: float, top_p: float, seed: int | None):
        self.temperature, self.top_p, self.seed = temperature, top_p, seed
        self._generators: dict[int, torch.Generator] = {}

    def _generator(self, row: int, device: torch.device) -> torch.Generator:
        if row not in self._generators:
            gen = torch.Generator(device=device)
            if self.seed is None:
                gen.seed()
            else:
                gen.manual_seed(self.seed + row)
            self._generators[row] = gen
        return self._generators[row]

    def __call__(self, logits: torch.Tensor, rows: Sequence[int], step: Sequence[int]) -> list[int]:
        probs = torch.softmax(logits.float() / self.temperature, dim=-1)
        if self.top_p < 1.0:
            probs = nucleus(probs, self.top_p)
        return [int(torch.multinomial(p, 1, generator=self._generator(row, p.device)))
                for p, row in zip(probs, rows)]


def nucleus(probs: torch.Tensor, top_p: float) -> torch.Tensor:
    """Keep the smallest set of most likely tokens whose mass reaches `top_p` (always >= 1 token)."""
    sorted_probs, order = torch.sort(probs, dim=-1, descending=True)
    before = torch.cumsum(sorted_probs, dim=-1) - sorted_probs
    sorted_probs = torch.where(before < top_p, sorted_probs, torch.zeros_like(sorted_probs))
    kept = torch.zeros_like(probs).scatter_(-1, order, sorted_probs)
    return kept / kept.sum(dim=-1, keepdim=True)


class TeacherForcing:
    """Emit the given outputs token by token, whatever the logits say."""

    def __init__(self, outputs: Sequence[Sequence[int]]):
        self.outputs = [list(o) for o in outputs]

    def __call__(self, logits: torch.Tensor, rows: Sequence[int], step: Sequence[int]) -> list[int]:
        return [self.outputs[row][k] for row, k in zip(rows, step)]
