"""ShardDataset / ShardIterableDataset on a real build: rows equal pyarrow's, memory-mapped, checked."""
from __future__ import annotations

import json
import pickle
import shutil

import numpy as np
import pyarrow as pa
import pyarrow.ipc as ipc
import pytest
from torch.utils.data import DataLoader

from ltdata.errors import SchemaError
from ltdata.loading import ShardDataset, ShardIterableDataset


def as_lists(row: dict) -> dict:
    return {k: v.tolist() if isinstance(v, np.ndarray) else v for k, v in row.items()}


def test_rows_equal_pyarrow_rows_and_are_views_of_the_mapped_file(marco_build, arrow_rows):
    ds = ShardDataset(marco_build)
    expected = arrow_rows(marco_build)
    assert len(ds) == len(expected) == 15
    assert [as_lists(ds[i]) for i in range(len(ds))] == expected
    assert as_lists(ds[-1]) == expected[-1]
    assert ds.lengths.tolist() == [r["num_tokens"] for r in expected]
    assert ds.num_thoughts.tolist() == [r["num_thoughts"] for r in expected]
    row = ds[5]
    assert not row["input_ids"].flags.owndata and not row["input_ids"].flags.writeable
    assert ds.manifest["special_tokens"]["splitter"] == 600
    assert (ds.tokenizer_path / "tokenizer.json").exists()
    with pytest.raises(IndexError, match="out of range"):
        ds[15]


def test_columns_can_be_limited(marco_build):
    ds = ShardDataset(marco_build, columns=["input_ids", "record_id"])
    assert set(ds[0]) == {"input_ids", "record_id"}
    with pytest.raises(SchemaError, match="unknown column"):
        ShardDataset(marco_build, columns=["inputs"])


def test_many_directories_concatenate_and_pickling_reopens(marco_build, marco_see_current, arrow_rows):
    ds = ShardDataset([marco_build, marco_see_current])
    assert len(ds) == 30
    assert as_lists(ds[15]) == arrow_rows(marco_see_current)[0]
    again = pickle.loads(pickle.dumps(ds))
    assert as_lists(again[29]) == as_lists(ds[29])
    loader = DataLoader(ds, batch_size=None, num_workers=2, shuffle=False)
    assert [r["record_id"] for r in loader] == [ds[i]["record_id"] for i in range(30)]


def test_major_schema_version_and_missing_columns_are_refused(marco_build, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(marco_build, copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    (copy / "manifest.json").write_text(json.dumps({**manifest, "schema_version": "2.0"}))
    with pytest.raises(SchemaError, match=r"schema version 2.0 is not readable"):
        ShardDataset(copy)

    (copy / "manifest.json").write_text(json.dumps(manifest))
    with pa.OSFile(str(copy / "shard-00001.arrow")) as source:
        table = ipc.open_file(source).read_all()
    with ipc.new_file(str(copy / "shard-00001.arrow"), table.drop_columns(["visible_until"]).schema) as writer:
        writer.write_table(table.drop_columns(["visible_until"]))
    with pytest.raises(SchemaError, match=r"shard-00001.arrow: missing column\(s\) visible_until"):
        ShardDataset(copy)


def test_mixing_builds_with_different_special_tokens_is_refused(marco_build, tmp_path):
    copy = tmp_path / "other"
    shutil.copytree(marco_build, copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["special_tokens"]["cache"] = [1, 2, 3]
    (copy / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(SchemaError, match="special token ids"):
        ShardDataset([marco_build, copy])


def test_stream_covers_every_row_once_across_ranks_and_workers(marco_build, arrow_rows):
    expected = sorted(r["record_id"] for r in arrow_rows(marco_build))
    seen = []
    for rank in range(2):
        stream = ShardIterableDataset(marco_build, columns=["record_id"], rank=rank, world_size=2)
        seen += [r["record_id"] for r in DataLoader(stream, batch_size=None, num_workers=2)]
    assert sorted(seen) == expected
    plain = [r["record_id"] for r in ShardIterableDataset(marco_build, columns=["record_id"])]
    assert plain == [r["record_id"] for r in arrow_rows(marco_build)]


def test_stream_shuffle_is_seeded_and_changes_with_the_epoch(marco_build):
    def order(seed, epoch):
        stream = ShardIterableDataset(marco_build, columns=["record_id"], shuffle=True, seed=seed)
        stream.set_epoch(epoch)
        return [r["record_id"] for r in stream]

    first = order(3, 0)
    assert first == order(3, 0) and sorted(first) == sorted(order(3, 1)) and first != order(3, 1)
    assert first != [r["record_id"] for r in ShardIterableDataset(marco_build, columns=["record_id"])]
