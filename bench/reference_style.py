"""The baseline: one sample built the way the LightThinker reference builds it (its data construction and mask materialisation).

Written from the spec, not copied: every segment (the templated prompt, the preamble, each thought
with its splitter, each cache block, the answer, EOS) is its own tokenizer call; tokens are appended
one by one with a length check and a per-token label decision; the mask is a dense L x L numpy bool
matrix, lower-triangular, then one slice update per block (the reference's mask rules with default flags).
Kinder to the baseline than the reference is: one construction per sample instead of its 4-5, no
deep copies, the mask at the sample's length L instead of padded to 4096, and the thoughts split
before the clock starts (the reference reads a pre-split `thoughts_list`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

IGNORE_INDEX = -100


@dataclass(frozen=True, slots=True)
class ReferenceSample:
    input_ids: list[int]
    labels: list[int]
    position_ids: list[int]
    mask: np.ndarray        # bool [L, L], True = may attend


class ReferenceStyleBuilder:
    """Segment-by-segment construction with the reference's data structures."""

    def __init__(self, tokenizer, *, n_cache: int, max_length: int | None = None):
        self.tokenizer = tokenizer
        self.max_length = max_length
        self.block_text = "".join(f"<|o_{i}|>" for i in range(n_cache)) + "<|continue|>"
        self.eos_text = "<|im_end|>"
        cache_ids = tokenizer.convert_tokens_to_ids([f"<|o_{i}|>" for i in range(n_cache)])
        self.no_loss = set(cache_ids) | {tokenizer.convert_tokens_to_ids("<|continue|>")}

    def build(self, prompt: str, preamble: str, thoughts: list[str], answer: str) -> ReferenceSample:
        input_ids: list[int] = []
        labels: list[int] = []
        blocks: list[tuple[int, int, int, int, int]] = []   # (start, end, l_inst, n_comp, n_cont)
        self._append(input_ids, labels, prompt, train=False)
        self._append(input_ids, labels, preamble, train=True)
        for thought in thoughts:
            start = len(input_ids)
            self._append(input_ids, labels, thought + "<|splitter|>", train=True)
            end = len(input_ids)
            self._append(input_ids, labels, self.block_text, train=True)
            blocks.append((start, end, 0, len(input_ids) - end - 1, 1))
        self._append(input_ids, labels, answer, train=True)
        self._append(input_ids, labels, self.eos_text, train=True)
        position_ids = list(range(len(input_ids)))
        return ReferenceSample(input_ids, labels, position_ids, self._mask(len(input_ids), blocks))

    def _append(self, input_ids: list[int], labels: list[int], text: str, *, train: bool) -> None:
        for token in self.tokenizer(text, add_special_tokens=False)["input_ids"]:
            if self.max_length is not None and len(input_ids) >= self.max_length:
                break
            input_ids.append(token)
            labels.append(token if train and token not in self.no_loss else IGNORE_INDEX)

    @staticmethod
    def _mask(length: int, blocks: list[tuple[int, int, int, int, int]]) -> np.ndarray:
        mask = np.tril(np.ones((length, length), dtype=bool))
        for start, end, l_inst, n_comp, _ in blocks:
            mask[end + l_inst + n_comp:, start:end + l_inst] = False
        return mask
