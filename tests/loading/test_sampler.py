"""LengthBucketSampler: every sample once per epoch, seeded, fewer pads, budgets and ranks respected."""
from __future__ import annotations

import numpy as np
import pytest

from ltdata.loading import LengthBucketSampler, padding_fraction

LENGTHS = np.random.default_rng(7).integers(50, 4000, 500)


def flat(batches) -> list[int]:
    return sorted(i for b in batches for i in b)


def test_each_sample_once_per_epoch_and_the_order_is_seeded():
    sampler = LengthBucketSampler(LENGTHS, batch_size=8, bucket_size=128, seed=3)
    first = list(sampler)
    assert flat(first) == list(range(500)) and len(sampler) == len(first) == 63
    assert list(LengthBucketSampler(LENGTHS, batch_size=8, bucket_size=128, seed=3)) == first
    sampler.set_epoch(1)
    assert list(sampler) != first and flat(sampler) == list(range(500))
    assert list(LengthBucketSampler(LENGTHS, batch_size=8, bucket_size=128, seed=4)) != first


def test_bucketing_pads_far_less_than_random_batches():
    rng = np.random.default_rng(0)
    order = rng.permutation(500)
    random_batches = [LENGTHS[order[k:k + 8]] for k in range(0, 500, 8)]
    bucketed = [LENGTHS[b] for b in LengthBucketSampler(LENGTHS, batch_size=8, seed=0)]
    assert padding_fraction(bucketed) < 0.05 < 0.3 < padding_fraction(random_batches)


def test_token_budget_bounds_the_padded_batch():
    batches = list(LengthBucketSampler(LENGTHS, max_tokens=8192, seed=1))
    assert flat(batches) == list(range(500))
    assert all(len(b) * LENGTHS[b].max() <= 8192 for b in batches)
    with pytest.raises(ValueError, match="below the longest sample"):
        LengthBucketSampler(LENGTHS, max_tokens=1000)


def test_ranks_get_disjoint_batches_of_equal_count():
    per_rank = [LengthBucketSampler(LENGTHS, batch_size=8, seed=0, rank=r, world_size=3).batches() for r in range(3)]
    assert len({len(b) for b in per_rank}) == 1
    seen = [i for batches in per_rank for b in batches for i in b]
    assert len(seen) == len(set(seen))


def test_drop_last_and_argument_checks():
    batches = list(LengthBucketSampler(LENGTHS, batch_size=8, bucket_size=100, drop_last=True, shuffle=False))
    assert all(len(b) == 8 for b in batches) and len(batches) == 5 * 12
    with pytest.raises(ValueError, match="exactly one of batch_size and max_tokens"):
        LengthBucketSampler(LENGTHS)
    with pytest.raises(ValueError, match="rank 2 is not in"):
        LengthBucketSampler(LENGTHS, batch_size=2, rank=2, world_size=2)


def test_padding_fraction_by_hand():
    assert padding_fraction([[4, 2], [3]]) == pytest.approx(1 - 9 / 11)
    assert padding_fraction([[3]], pad_to_multiple_of=4) == pytest.approx(0.25)
