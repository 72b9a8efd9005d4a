"""Batched masks (bool, additive, BlockMask) on the reference implementation's worked example and against a slow reference."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from ltdata.masks import additive_mask, block_mask, bool_mask

# The reference implementation's worked example, typed by hand: P0 P1 | a0 a1 S1 c1 c2 O1 | b0 S2 d1 d2 O2 | E   (n = 2, defaults)
WORKED = """
1 . . . . . . . . . . . . .
1 1 . . . . . . . . . . . .
1 1 1 . . . . . . . . . . .
1 1 1 1 . . . . . . . . . .
1 1 1 1 1 . . . . . . . . .
1 1 1 1 1 1 . . . . . . . .
1 1 1 1 1 1 1 . . . . . . .
1 1 . . . 1 1 1 . . . . . .
1 1 . . . 1 1 1 1 . . . . .
1 1 . . . 1 1 1 1 1 . . . .
1 1 . . . 1 1 1 1 1 1 . . .
1 1 . . . 1 1 1 1 1 1 1 . .
1 1 . . . 1 1 1 . . 1 1 1 .
1 1 . . . 1 1 1 . . 1 1 1 1
"""
# The same sample with see_current: cache rows see only their own thought and earlier cache tokens.
WORKED_SEE_CURRENT = """
1 . . . . . . . . . . . . .
1 1 . . . . . . . . . . . .
1 1 1 . . . . . . . . . . .
1 1 1 1 . . . . . . . . . .
1 1 1 1 1 . . . . . . . . .
. . 1 1 1 1 . . . . . . . .
. . 1 1 1 1 1 . . . . . . .
1 1 . . . 1 1 1 . . . . . .
1 1 . . . 1 1 1 1 . . . . .
1 1 . . . 1 1 1 1 1 . . . .
. . . . . . . . 1 1 1 . . .
. . . . . . . . 1 1 1 1 . .
1 1 . . . 1 1 1 . . 1 1 1 .
1 1 . . . 1 1 1 . . 1 1 1 1
"""
VISIBLE_UNTIL = [14, 14, 7, 7, 7, 14, 14, 14, 12, 12, 14, 14, 14, 14]
SEE_CURRENT_FROM = [0, 0, 0, 0, 0, 2, 2, 0, 0, 0, 8, 8, 0, 0]


def grid(text: str) -> torch.Tensor:
    return torch.tensor([[c == "1" for c in line.split()] for line in text.strip().splitlines()])


def columns(*rows: list[int]) -> torch.Tensor:
    return torch.tensor(rows, dtype=torch.int32)


def slow_reference(attend_from, visible_until, lengths) -> torch.Tensor:
    """The rule written as loops, with the padding convention: padding rows see only themselves."""
    batch, length = len(attend_from), len(attend_from[0])
    out = torch.zeros(batch, 1, length, length, dtype=torch.bool)
    for b in range(batch):
        n = int(lengths[b])
        for i in range(length):
            for j in range(length):
                if i >= n:
                    out[b, 0, i, j] = i == j
                else:
                    out[b, 0, i, j] = j < n and attend_from[b][i] <= j <= i and i < min(visible_until[b][j], n)
    return out


def block_mask_dense(mask) -> torch.Tensor:
    """Evaluate a BlockMask's mask_mod at every (b, q, kv): what flex attention applies element-wise."""
    batch, _, q_len, kv_len = mask.shape
    b, q, kv = torch.meshgrid(torch.arange(batch), torch.arange(q_len), torch.arange(kv_len), indexing="ij")
    return mask.mask_mod(b, torch.zeros_like(b), q, kv)[:, None]


def test_worked_example_bool_and_additive():
    af, vu, n = columns([0] * 14), columns(VISIBLE_UNTIL), torch.tensor([14])
    expected = grid(WORKED)[None, None]
    assert torch.equal(bool_mask(af, vu, n), expected)
    additive = additive_mask(af, vu, n)
    assert additive.dtype == torch.float32 and additive.shape == (1, 1, 14, 14)
    assert torch.equal(additive, torch.where(expected, 0.0, torch.finfo(torch.float32).min))
    half = additive_mask(af, vu, n, dtype=torch.bfloat16)
    assert half.dtype == torch.bfloat16 and set(half.unique().tolist()) == {0.0, torch.finfo(torch.bfloat16).min}


def test_worked_example_see_current():
    got = bool_mask(columns(SEE_CURRENT_FROM), columns(VISIBLE_UNTIL), torch.tensor([14]))
    assert torch.equal(got, grid(WORKED_SEE_CURRENT)[None, None])


def test_block_mask_applies_the_same_rule():
    af, vu, n = columns([0] * 14, SEE_CURRENT_FROM), columns(VISIBLE_UNTIL, VISIBLE_UNTIL), torch.tensor([14, 14])
    mask = block_mask(af, vu, n, block_size=8)
    assert mask.shape == (2, 1, 14, 14)
    assert torch.equal(block_mask_dense(mask), torch.stack([grid(WORKED), grid(WORKED_SEE_CURRENT)])[:, None])


def test_padded_batch_hides_padding_keys_and_padding_rows_see_only_themselves():
    # Sample 2 is the worked example truncated after block 1 (8 tokens: its "to the end" is 8).
    af = columns([0] * 14, [0] * 8 + [0] * 6)
    vu = columns(VISIBLE_UNTIL, [8, 8, 7, 7, 7, 8, 8, 8] + [0] * 6)
    got = bool_mask(af, vu, torch.tensor([14, 8]))
    expected = torch.zeros(14, 14, dtype=torch.bool)
    expected[:8, :8] = grid(WORKED)[:8, :8]
    expected[range(8, 14), range(8, 14)] = True
    assert torch.equal(got[1, 0], expected) and torch.equal(got[0, 0], grid(WORKED))
    assert got.any(dim=-1).all()
    assert torch.equal(block_mask_dense(block_mask(af, vu, torch.tensor([14, 8]), block_size=4)), got)


def test_padding_rows_give_no_nan_in_softmax():
    mask = additive_mask(columns([0] * 6), columns([6, 6, 2, 6, 6, 6]), torch.tensor([3]))
    scores = torch.randn(1, 2, 6, 6)
    probs = torch.softmax(scores + mask, dim=-1)
    assert not probs.isnan().any()
    assert torch.equal(probs[0, :, 3:], torch.eye(6)[3:].expand(2, 3, 6))


@pytest.mark.parametrize("seed", range(6))
def test_random_columns_match_the_slow_reference(seed):
    rng = np.random.default_rng(seed)
    batch, length = 3, int(rng.integers(1, 150))
    lengths = rng.integers(1, length + 1, batch)
    lengths[0] = length
    position = np.arange(length)
    visible_until = np.where(rng.random((batch, length)) < 0.5, length,
                             position + 1 + (rng.random((batch, length)) * (length - position)).astype(int))
    attend_from = np.where(rng.random((batch, length)) < 0.7, 0, (rng.random((batch, length)) * (position + 1)).astype(int))
    expected = slow_reference(attend_from.tolist(), visible_until.tolist(), lengths.tolist())
    got = bool_mask(torch.tensor(attend_from), torch.tensor(visible_until), torch.tensor(lengths))
    assert torch.equal(got, expected)
    assert torch.equal(additive_mask(torch.tensor(attend_from), torch.tensor(visible_until),
                                     torch.tensor(lengths)) == 0, expected)


def test_long_runs_without_events_are_still_causal():
    # A vanilla sample (no thoughts) of 300 tokens: one run of rows would be 300 long.
    got = bool_mask(columns([0] * 300), columns([300] * 300), torch.tensor([300]))
    assert torch.equal(got[0, 0], torch.ones(300, 300, dtype=torch.bool).tril())


def test_bad_shapes_are_refused():
    with pytest.raises(ValueError, match=r"shape \[B, L\]"):
        bool_mask(torch.zeros(5, dtype=torch.int32), torch.zeros(5, dtype=torch.int32), torch.tensor([5]))
