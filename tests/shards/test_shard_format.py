"""The shard format's one home: the published schema, the derived column groups, and the reader's checks."""
from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.ipc as ipc
import pytest

from ltdata.errors import SchemaError
from ltdata.records import Example
from ltdata.shards.reader import map_shard, read_manifest, record_batches
from ltdata.shards.schema import (SCALAR_COLUMNS, SCHEMA_FILE, TEXT_COLUMNS, TOKEN_COLUMNS, TOKEN_DTYPES,
                                  schema_document, shard_schema)
from ltdata.shards.writer import write_shard


def test_published_schema_matches_the_code():
    assert json.loads(SCHEMA_FILE.read_text(encoding="utf-8")) == schema_document()


def test_column_groups_cover_the_schema_once_by_kind():
    assert TEXT_COLUMNS == ("record_id", "source")
    assert TOKEN_COLUMNS == ("input_ids", "labels", "position_ids", "attend_from", "visible_until", "role",
                             "thought_index")
    assert SCALAR_COLUMNS == ("num_tokens", "num_thoughts", "truncated")
    assert {name: np.dtype(t) for name, t in TOKEN_DTYPES.items()} == {
        "input_ids": np.int32, "labels": np.int32, "position_ids": np.int32, "attend_from": np.int32,
        "visible_until": np.int32, "role": np.int8, "thought_index": np.int16}


def _example() -> Example:
    ints = np.arange(4, dtype=np.int32)
    return Example(record_id="r0", input_ids=ints + 10, labels=np.array([-100, -100, 12, 13], np.int32),
                   position_ids=ints, attend_from=np.zeros(4, np.int32), visible_until=np.full(4, 4, np.int32),
                   role=np.array([1, 1, 6, 7], np.int8), thought_index=np.full(4, -1, np.int16), source="f:1")


def test_a_written_shard_reads_back_with_its_schema(tmp_path):
    path = tmp_path / "shard-00000.arrow"
    assert write_shard(path, [_example(), _example()]) == (2, 8)
    assert map_shard(path).schema.equals(shard_schema(), check_metadata=True)
    (batch,) = record_batches([path])
    assert batch.column("labels").to_pylist() == [[-100, -100, 12, 13]] * 2
    assert batch.column("source").to_pylist() == ["f:1", "f:1"]


def test_the_reader_refuses_other_major_versions_and_missing_columns(tmp_path):
    newer = shard_schema().with_metadata({"ltdata.schema_version": "2.0"})
    with ipc.new_file(str(tmp_path / "v2.arrow"), newer) as writer:
        writer.write_table(newer.empty_table())
    with pytest.raises(SchemaError, match=r"v2.arrow: schema version 2.0 is not readable by this ltdata \(reads 1.x\)"):
        map_shard(tmp_path / "v2.arrow")
    partial = pa.schema([shard_schema().field("record_id")], metadata={"ltdata.schema_version": "1.3"})
    with ipc.new_file(str(tmp_path / "partial.arrow"), partial) as writer:
        writer.write_table(partial.empty_table())
    with pytest.raises(SchemaError, match=r"partial.arrow: missing column\(s\) source, input_ids"):
        map_shard(tmp_path / "partial.arrow")
    (tmp_path / "junk.arrow").write_bytes(b"not arrow")
    with pytest.raises(SchemaError, match="junk.arrow: not a readable Arrow IPC file"):
        map_shard(tmp_path / "junk.arrow")


def test_manifests_are_read_with_the_same_version_rule(tmp_path):
    with pytest.raises(SchemaError, match="no manifest.json .not an ltdata output, or the build did not finish"):
        read_manifest(tmp_path)
    (tmp_path / "manifest.json").write_text(json.dumps({"schema_version": "7.1", "shards": []}))
    with pytest.raises(SchemaError, match="manifest.json: schema version 7.1 is not readable"):
        read_manifest(tmp_path)
    (tmp_path / "manifest.json").write_text(json.dumps({"schema_version": "1.9", "shards": []}))
    assert read_manifest(tmp_path)["shards"] == []
