"""The shards read the same through `datasets` and polars as through pyarrow, and collate identically."""
from __future__ import annotations

import datasets
import polars as pl
import pyarrow as pa
import pytest
import torch

from ltdata.loading import Collator, ShardDataset, hf_dataset


def test_hf_dataset_is_zero_copy_and_equals_the_arrow_rows(marco_build, marco_see_current, arrow_rows):
    ds = hf_dataset([marco_build, marco_see_current])
    assert isinstance(ds, datasets.Dataset)
    assert ds.to_list() == arrow_rows(marco_build) + arrow_rows(marco_see_current)
    assert ds.cache_files == []                                    # nothing written anywhere
    assert hf_dataset(marco_build, columns=["input_ids"]).column_names == ["input_ids"]


def test_load_dataset_arrow_reads_the_shards(marco_build, arrow_rows, tmp_path):
    files = sorted(str(p) for p in marco_build.glob("shard-*.arrow"))
    ds = datasets.load_dataset("arrow", data_files=files, split="train", cache_dir=str(tmp_path))
    assert ds.to_list() == arrow_rows(marco_build)


def test_dataset_from_file_needs_the_stream_format_which_is_why_hf_dataset_exists(marco_build):
    with pytest.raises(pa.ArrowInvalid):
        datasets.Dataset.from_file(str(marco_build / "shard-00000.arrow"))


def test_polars_scans_the_shards(marco_build, arrow_rows):
    frame = pl.scan_ipc(str(marco_build / "shard-*.arrow")).select("record_id", "num_tokens", "visible_until").collect()
    rows = arrow_rows(marco_build)
    assert frame["record_id"].to_list() == [r["record_id"] for r in rows]
    assert frame["visible_until"].to_list() == [r["visible_until"] for r in rows]
    assert frame["num_tokens"].sum() == sum(r["num_tokens"] for r in rows)


def test_rows_from_datasets_collate_like_rows_from_shard_dataset(marco_build):
    ours = ShardDataset(marco_build)
    theirs = hf_dataset(marco_build)
    a = Collator(pad_token_id=0)([ours[i] for i in (1, 2, 9)])
    b = Collator(pad_token_id=0)([theirs[i] for i in (1, 2, 9)])
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
