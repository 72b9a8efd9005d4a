"""Source tests: input expansion, slicing and reading of JSONL, JSON, Parquet and datasets directories."""
from __future__ import annotations

import json
import os

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from datasets import Dataset, DatasetDict

from ltdata.errors import ConfigError, Origin
from ltdata.readers.sources import (SourceSlice, count_records, expand_inputs, first_record, plan_slices,
                                    read_slice)


def read_all(paths, per_slice):
    return [raw for piece in plan_slices(paths, per_slice) for raw in read_slice(piece)]


# --- expand_inputs ---------------------------------------------------------------------------

def test_expand_kinds_by_suffix_and_directory_order(tmp_path):
    for name in ["b.ndjson", "a.jsonl", "c.json", "d.parquet", "README.md", "e.JSONL"]:
        (tmp_path / name).write_text("")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "z.jsonl").write_text("")
    assert expand_inputs([str(tmp_path)]) == [
        (str(tmp_path / "a.jsonl"), "jsonl"), (str(tmp_path / "b.ndjson"), "jsonl"),
        (str(tmp_path / "c.json"), "json"), (str(tmp_path / "d.parquet"), "parquet"),
        (str(tmp_path / "e.JSONL"), "jsonl")]


def test_expand_globs_sorted_and_repeats_dropped(tmp_path):
    for name in ["x2.jsonl", "x1.jsonl", "y.json"]:
        (tmp_path / name).write_text("")
    got = expand_inputs([str(tmp_path / "x*.jsonl"), str(tmp_path / "x1.jsonl"), str(tmp_path / "y.json")])
    assert got == [(str(tmp_path / "x1.jsonl"), "jsonl"), (str(tmp_path / "x2.jsonl"), "jsonl"),
                   (str(tmp_path / "y.json"), "json")]


def test_expand_datasets_directories(tmp_path):
    markers = {"saved": "state.json", "info": "dataset_info.json", "dict": "dataset_dict.json"}
    for name, marker in markers.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / marker).write_text("{}")
    paths = [str(tmp_path / name) for name in ("saved", "info", "dict")]
    assert expand_inputs(paths) == [(path, "datasets") for path in paths]


def test_expand_reports_every_bad_input_at_once(tmp_path):
    (tmp_path / "notes.txt").write_text("")
    (tmp_path / "empty").mkdir()
    missing, unknown, empty = tmp_path / "nope.jsonl", tmp_path / "notes.txt", tmp_path / "empty"
    with pytest.raises(ConfigError) as info:
        expand_inputs([str(missing), str(unknown), str(tmp_path / "*.parquet"), str(empty)])
    assert info.value.problems == [
        f"input {str(missing)!r} does not exist",
        f"input {str(unknown)!r} has an unknown suffix; expected .jsonl, .ndjson, .json, .parquet "
        "or a datasets directory",
        f"input {str(tmp_path / '*.parquet')!r} matches no files",
        f"input directory {str(empty)!r} holds no .jsonl, .ndjson, .json, .parquet files"]


def test_expand_nothing_given():
    with pytest.raises(ConfigError, match="no input files given"):
        expand_inputs([])


# --- JSONL -----------------------------------------------------------------------------------

def test_malformed_lines_are_yielded_as_located_errors(data_dir):
    path = str(data_dir / "malformed.jsonl")
    raws = read_all([path], 2)
    assert [(r.origin.line, r.origin.index) for r in raws] == [(1, 0), (3, 1), (4, 2), (5, 3), (7, 4)]
    assert [str(r.error) if r.error else None for r in raws] == [
        None,
        f"{path}:3: invalid JSON: Expecting value at column 45",
        f"{path}:4: line is not valid UTF-8 (invalid continuation byte at byte 20)",
        f"{path}:5: record must be a JSON object, got list",
        None]
    assert [r.error.reason for r in raws if r.error] == ["invalid_json", "bad_utf8", "wrong_type"]
    assert raws[1].error.to_reject() == {
        "file": path, "line": 3, "index": 1, "record_id": None, "field": None, "reason": "invalid_json",
        "error": f"{path}:3: invalid JSON: Expecting value at column 45"}
    assert raws[0].value["instruction"].startswith("Prove that the limit of the sequence")


def test_slices_tile_the_file_with_true_line_numbers(data_dir, write_jsonl):
    good = (data_dir / "bespoke.jsonl").read_bytes().splitlines()
    bad = (data_dir / "malformed.jsonl").read_bytes().splitlines()
    lines = [b"", good[0], b"  ", b"", good[1], bad[2], b"\r", good[2], bad[3], b"", bad[4], good[0]]
    path = write_jsonl("mixed.jsonl", lines)
    expected_lines = [n for n, line in enumerate(lines, start=1) if line.strip()]
    whole = read_all([path], 1000)
    assert len(expected_lines) == 7
    assert [r.origin for r in whole] == [Origin(file=path, index=i, line=n)
                                         for i, n in enumerate(expected_lines)]
    for per_slice in (1, 2, 3, 5, 7):
        pieces = plan_slices([path], per_slice)
        assert [(p.start, p.stop) for p in pieces] == [
            (s, min(s + per_slice, 7)) for s in range(0, 7, per_slice)]
        assert [p.first_line for p in pieces] == expected_lines[::per_slice]
        got = [raw for piece in pieces for raw in read_slice(piece)]
        assert [(r.origin, r.value, str(r.error)) for r in got] == [
            (r.origin, r.value, str(r.error)) for r in whole]


def test_jsonl_slice_seeks_and_never_reads_earlier_bytes(write_jsonl):
    # The first line is not even UTF-8; a slice that starts after it must not notice.
    path = write_jsonl("t.jsonl", [b"\xff\xfe garbage", b'{"a": 1}', b"", b'{"a": 2}'])
    second = plan_slices([path], 1)[1]
    assert second == SourceSlice(path=path, kind="jsonl", start=1, stop=2, byte_offset=11, first_line=2)
    assert [(r.origin.line, r.value) for r in read_slice(second)] == [(2, {"a": 1})]
    tail = SourceSlice(path=path, kind="jsonl", start=2, stop=3, byte_offset=21, first_line=4)
    assert [(r.origin.line, r.value) for r in read_slice(tail)] == [(4, {"a": 2})]


def test_jsonl_count_first_and_empty(write_jsonl):
    path = write_jsonl("t.jsonl", ["", '{"a": 1}', "   ", '{"a": 2}', ""])
    assert count_records(path, "jsonl") == 2
    assert first_record(path, "jsonl").value == {"a": 1}
    empty = write_jsonl("empty.jsonl", ["", " "])
    assert first_record(empty, "jsonl") is None
    assert plan_slices([empty], 10) == []


def test_records_per_slice_must_be_positive(data_dir):
    with pytest.raises(ConfigError, match="records_per_slice must be at least 1, got 0"):
        plan_slices([str(data_dir / "bespoke.jsonl")], 0)


# --- JSON ------------------------------------------------------------------------------------

def test_json_array_round_trip(data_dir, marco_records):
    path = str(data_dir / "marco.json")
    raws = read_all([path], 2)
    assert [r.value for r in raws] == marco_records
    assert [str(r.origin) for r in raws] == [f"{path}[0]", f"{path}[1]", f"{path}[2]"]
    assert raws[1].origin.line is None
    assert count_records(path, "json") == 3


def test_json_object_of_records_exposes_the_key(data_dir):
    path = str(data_dir / "skythought_tools.json")
    source = json.loads((data_dir / "skythought_tools.json").read_text(encoding="utf-8"))
    raws = read_all([path], 1)
    assert [r.value["__key__"] for r in raws] == list(source)
    assert [{k: v for k, v in r.value.items() if k != "__key__"} for r in raws] == list(source.values())
    assert raws[0].value["__key__"].startswith("Every morning Aya goes for a $9$-kilometer-long walk")


def test_json_non_object_elements_and_broken_files(tmp_path):
    path = tmp_path / "mixed.json"
    path.write_text(json.dumps([{"a": 1}, "text", None]))
    raws = read_all([str(path)], 10)
    assert [str(r.error) if r.error else r.value for r in raws] == [
        {"a": 1}, f"{path}[1]: record must be a JSON object, got str",
        f"{path}[2]: record must be a JSON object, got null"]
    keyed = tmp_path / "keyed.json"
    keyed.write_text(json.dumps({"k1": {"a": 1}, "k2": [1]}))
    assert str(read_all([str(keyed)], 10)[1].error) == (
        f"{keyed}[1]: value of key 'k2' must be a JSON object, got list")
    broken = tmp_path / "broken.json"
    broken.write_text('[{"a": 1},')
    with pytest.raises(ConfigError, match="is not a readable JSON file: Expecting value: line 1 column 11"):
        plan_slices([str(broken)], 1)
    scalar = tmp_path / "scalar.json"
    scalar.write_text("3")
    with pytest.raises(ConfigError, match="must hold a JSON array of records or an object mapping keys"):
        count_records(str(scalar), "json")


# --- Parquet and datasets directories --------------------------------------------------------

def test_parquet_round_trip_reads_only_its_rows(tmp_path, bespoke_records):
    records = bespoke_records * 3           # 9 rows in row groups of 2
    path = str(tmp_path / "t.parquet")
    pq.write_table(pa.Table.from_pylist(records), path, row_group_size=2)
    assert count_records(path, "parquet") == 9
    for per_slice in (1, 3, 4, 9, 20):
        raws = read_all([path], per_slice)
        assert [r.value for r in raws] == records
        assert [r.origin for r in raws] == [Origin(file=path, index=i) for i in range(9)]
    middle = read_slice(SourceSlice(path=path, kind="parquet", start=3, stop=6))
    assert [r.value["id"] for r in middle] == ["bs-00001", "bs-00002", "bs-00003"]
    assert first_record(path, "parquet").value == records[0]


def test_datasets_directory_round_trip(tmp_path, bespoke_records):
    path = str(tmp_path / "saved")
    Dataset.from_list(bespoke_records).save_to_disk(path)
    assert expand_inputs([path]) == [(path, "datasets")]
    assert count_records(path, "datasets") == 3
    for per_slice in (1, 2, 3):
        raws = read_all([path], per_slice)
        assert [r.value for r in raws] == bespoke_records
        assert [str(r.origin) for r in raws] == [f"{path}[{i}]" for i in range(3)]


def test_datasetdict_directory_reads_train(tmp_path, bespoke_records):
    path = str(tmp_path / "dict")
    DatasetDict({"train": Dataset.from_list(bespoke_records[1:]),
                 "test": Dataset.from_list(bespoke_records[:1])}).save_to_disk(path)
    assert [r.value["id"] for r in read_all([path], 1)] == ["bs-00002", "bs-00003"]
    no_train = str(tmp_path / "no_train")
    DatasetDict({"test": Dataset.from_list(bespoke_records[:1])}).save_to_disk(no_train)
    with pytest.raises(ConfigError, match=r"is a DatasetDict without a 'train' split \(splits: test\)"):
        count_records(no_train, "datasets")


def test_all_kinds_agree(tmp_path, data_dir, bespoke_records):
    json_path = tmp_path / "b.json"
    json_path.write_text(json.dumps(bespoke_records))
    pq.write_table(pa.Table.from_pylist(bespoke_records), tmp_path / "b.parquet")
    Dataset.from_list(bespoke_records).save_to_disk(str(tmp_path / "b_saved"))
    for path in [data_dir / "bespoke.jsonl", json_path, tmp_path / "b.parquet", tmp_path / "b_saved"]:
        assert [r.value for r in read_all([str(path)], 2)] == bespoke_records, path
    assert os.path.isdir(tmp_path / "b_saved")
