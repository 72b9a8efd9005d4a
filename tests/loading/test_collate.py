"""Collator: dynamic right padding, label counts after the shift, and every mask form from the same rows."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from ltdata.errors import SchemaError
from ltdata.loading import Collator, ShardDataset
from ltdata.masks import dense_mask

X = -100


def row(ids, labels, visible_until, attend_from=None, record_id="r"):
    n = len(ids)
    return {"record_id": record_id, "input_ids": np.array(ids), "labels": np.array(labels),
            "position_ids": np.arange(n), "visible_until": np.array(visible_until),
            "attend_from": np.array(attend_from or [0] * n)}


ROWS = [row([5, 6, 7, 8, 9], [X, 6, 7, X, 9], [5, 5, 3, 5, 5]), row([1, 2, 3], [X, X, 3], [3, 3, 3])]


def test_padding_values_and_label_count():
    batch = Collator(pad_token_id=0)(ROWS)
    assert batch["input_ids"].tolist() == [[5, 6, 7, 8, 9], [1, 2, 3, 0, 0]]
    assert batch["labels"].tolist() == [[X, 6, 7, X, 9], [X, X, 3, X, X]]
    assert batch["position_ids"].tolist() == [[0, 1, 2, 3, 4], [0, 1, 2, 0, 0]]
    assert all(batch[k].dtype == torch.long for k in ("input_ids", "labels", "position_ids"))
    assert batch["num_label_tokens"].item() == 4          # 6, 7, 9 and 3 (labels[:, 1:])
    assert batch["num_label_tokens"].dtype == torch.long


def test_additive_mask_of_the_batch():
    mask = Collator(pad_token_id=0)(ROWS)["attention_mask"]
    m = torch.finfo(torch.float32).min
    assert mask.shape == (2, 1, 5, 5) and mask.dtype == torch.float32
    expected = torch.tensor([[[0, m, m, m, m], [0, 0, m, m, m], [0, 0, 0, m, m], [0, 0, m, 0, m], [0, 0, m, 0, 0]],
                             [[0, m, m, m, m], [0, 0, m, m, m], [0, 0, 0, m, m], [m, m, m, 0, m], [m, m, m, m, 0]]])
    assert torch.equal(mask[:, 0], expected)


def test_pad_to_multiple_and_mask_forms_agree(marco_build):
    ds = ShardDataset(marco_build)
    rows = [ds[i] for i in (0, 3, 7)]
    additive = Collator(pad_token_id=0, pad_to_multiple_of=64, dtype=torch.bfloat16)(rows)
    width = additive["input_ids"].shape[1]
    assert width % 64 == 0 and width - 64 < max(len(r["input_ids"]) for r in rows) <= width
    assert additive["attention_mask"].dtype == torch.bfloat16
    as_bool = Collator(pad_token_id=0, mask="bool", pad_to_multiple_of=64)(rows)["attention_mask"]
    assert torch.equal(additive["attention_mask"] == 0, as_bool)
    for k, r in enumerate(rows):
        n = len(r["input_ids"])
        assert torch.equal(as_bool[k, 0, :n, :n], torch.from_numpy(dense_mask(r)))
    block = Collator(pad_token_id=0, mask="block", pad_to_multiple_of=64, block_size=32)(rows)["attention_mask"]
    assert block.shape == as_bool.shape
    assert "attention_mask" not in Collator(pad_token_id=0, mask="none")(rows)


def test_columns_option_carries_what_a_trainer_needs_to_build_the_mask():
    batch = Collator(pad_token_id=0, mask="none", columns=True)(ROWS)
    assert batch["lengths"].tolist() == [5, 3]
    assert batch["visible_until"].tolist() == [[5, 5, 3, 5, 5], [3, 3, 3, 0, 0]]
    assert batch["attend_from"].dtype == torch.int32


def test_bad_rows_name_the_record():
    bad = row([1, 2], [X, 2], [2, 2], record_id="r-7")
    del bad["visible_until"]
    with pytest.raises(SchemaError, match=r"row 1 \(id='r-7'\): missing column\(s\) visible_until"):
        Collator(pad_token_id=0)([ROWS[0], bad])
    short = row([1, 2], [X, 2], [2], record_id="r-8")
    with pytest.raises(SchemaError, match=r"id='r-8'.*visible_until do not have input_ids' length 2"):
        Collator(pad_token_id=0)([short])
    with pytest.raises(ValueError, match="mask: expected"):
        Collator(pad_token_id=0, mask="dense")
