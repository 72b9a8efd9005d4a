"""`ltdata.load`: the shards as a memory-mapped `datasets.Dataset`, rows exactly as pyarrow reads them."""
from __future__ import annotations

import pyarrow as pa
import pytest

import ltdata
from ltdata.shards.schema import COLUMNS

from api_helpers import read_table, shard_bytes


def test_load_gives_every_row_in_order_without_copying(file_build):
    before = pa.total_allocated_bytes()
    ds = ltdata.load(file_build)
    assert pa.total_allocated_bytes() - before < 4096          # the columns stay in the memory-mapped files
    assert sum(map(len, shard_bytes(file_build).values())) > 100_000
    assert ds.column_names == [name for name, _, _ in COLUMNS]
    assert ds.to_list() == read_table(file_build).to_pylist()
    assert {name: str(ds.features[name]) for name in ("input_ids", "role", "thought_index", "num_tokens")} == {
        "input_ids": "List(Value('int32'))", "role": "List(Value('int8'))", "thought_index": "List(Value('int16'))",
        "num_tokens": "Value('int32')"}
    assert ds[2]["record_id"] == "bs-00003" and ds.filter(lambda row: row["num_thoughts"] > 100).num_rows == sum(
        row["num_thoughts"] > 100 for row in read_table(file_build).to_pylist())


def test_an_empty_build_loads_as_an_empty_dataset_with_the_schema(cfg, tmp_path):
    ltdata.write_shards([], tmp_path / "empty", cfg)
    ds = ltdata.load(tmp_path / "empty")
    assert ds.num_rows == 0 and ds.column_names == [name for name, _, _ in COLUMNS]


def test_a_directory_that_is_not_a_build_is_a_schema_error(tmp_path):
    with pytest.raises(ltdata.SchemaError, match=f"{tmp_path}: no manifest.json"):
        ltdata.load(tmp_path)
