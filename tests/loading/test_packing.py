"""Packing: best-fit-decreasing bins by hand, offset columns by hand, a packed dataset over a real build."""
from __future__ import annotations

import numpy as np
import pytest

from ltdata.errors import ConfigError
from ltdata.loading import Collator, PackedDataset, ShardDataset, pack_rows, plan_packs
from ltdata.masks import dense_mask_from_columns

X = -100


def test_best_fit_decreasing_by_hand():
    # 5 -> new bin (room 3); 4 -> new bin (room 4); 3 -> bin 0, the tightest fit (room 0);
    # 3 -> bin 1 (room 1); 1 -> bin 1 (room 0).
    assert plan_packs([5, 4, 3, 3, 1], 8) == [[0, 2], [1, 3, 4]]
    with pytest.raises(ConfigError, match="sample 1 has 9 tokens, more than max_tokens=8"):
        plan_packs([3, 9], 8)


def test_every_sample_lands_once_and_bins_respect_the_budget():
    lengths = np.random.default_rng(1).integers(10, 1000, 300)
    packs = plan_packs(lengths, 1024)
    assert sorted(i for p in packs for i in p) == list(range(300))
    assert all(lengths[p].sum() <= 1024 for p in packs)
    assert len(packs) <= int(np.ceil(lengths.sum() / 1024 * 1.1))          # near the lower bound


def test_pack_rows_offsets_the_mask_columns_and_restarts_positions():
    a = {"record_id": "a", "input_ids": np.array([1, 2, 3]), "labels": np.array([X, 2, 3]),
         "position_ids": np.arange(3), "attend_from": np.array([0, 0, 0]), "visible_until": np.array([3, 2, 3])}
    b = {"record_id": "b", "input_ids": np.array([7, 8]), "labels": np.array([7, 8]),
         "position_ids": np.arange(2), "attend_from": np.array([0, 1]), "visible_until": np.array([2, 2])}
    packed = pack_rows([a, b])
    assert packed["input_ids"].tolist() == [1, 2, 3, 7, 8]
    assert packed["labels"].tolist() == [X, 2, 3, X, 8]             # b's first label is never predicted alone
    assert packed["position_ids"].tolist() == [0, 1, 2, 0, 1]
    assert packed["attend_from"].tolist() == [0, 0, 0, 3, 4]
    assert packed["visible_until"].tolist() == [3, 2, 3, 5, 5]
    assert packed["record_ids"] == ["a", "b"] and packed["sample_lengths"].tolist() == [3, 2]
    expected = np.array([[1, 0, 0, 0, 0],
                         [1, 1, 0, 0, 0],
                         [1, 0, 1, 0, 0],
                         [0, 0, 0, 1, 0],
                         [0, 0, 0, 0, 1]], dtype=bool)
    np.testing.assert_array_equal(dense_mask_from_columns(packed["attend_from"], packed["visible_until"]), expected)


def test_packed_dataset_over_a_real_build(marco_build):
    ds = ShardDataset(marco_build)
    packed = PackedDataset(ds, max_tokens=700)
    assert sum(len(p) for p in packed.packs) == len(ds) and packed.lengths.sum() == ds.lengths.sum()
    assert packed.lengths.max() <= 700 and len(packed) < len(ds)
    row = packed[0]
    assert len(row["input_ids"]) == packed.lengths[0]
    assert row["record_ids"] == [ds[i]["record_id"] for i in packed.packs[0]]
    batch = Collator(pad_token_id=0, mask="bool")([packed[k] for k in range(len(packed))])
    n, first = packed.lengths[0], len(ds[packed.packs[0][0]]["input_ids"])
    assert not batch["attention_mask"][0, 0, first:n, :first].any()       # later samples never see the first
