"""`ltdata.build` from files and from memory: the CLI's bytes, the same shards from every kind of source."""
from __future__ import annotations

import json

import datasets
import polars as pl
import pytest

import ltdata
from ltdata.cli.main import main
from ltdata.readers.formats import resolve_format
from ltdata.readers.sources import SourceSlice, read_slice

from api_helpers import manifest, read_table, shard_bytes


def fast_flags(cfg: ltdata.BuildConfig) -> list[str]:
    return ["--tokenizer", cfg.tokenizer, "--workers", "1", "--no-processes", "--no-progress", "--max-length", "none",
            "--shard-size", "2"]


@pytest.fixture(scope="module")
def memory_builds(tmp_path_factory, cfg, records) -> dict:
    """The five records built from a polars frame, a generator of dicts and a datasets.Dataset."""
    root = tmp_path_factory.mktemp("memory")
    sources = {"polars": pl.DataFrame(records), "generator": (dict(r) for r in records),
               "datasets": datasets.Dataset.from_list(records)}
    return {name: ltdata.build(source, root / name, cfg).output for name, source in sources.items()}


def test_the_cli_and_the_library_write_identical_bytes(file_build, records_file, cfg, tmp_path, capsys):
    out = tmp_path / "cli"
    assert main(["build", "--input", str(records_file), "--output", str(out), *fast_flags(cfg)]) == 0
    assert shard_bytes(out) == shard_bytes(file_build) and len(shard_bytes(out)) == 3
    assert (out / "manifest.json").read_bytes() == (file_build / "manifest.json").read_bytes()


def test_a_frame_a_generator_and_a_dataset_give_the_files_shards(memory_builds, file_build, records_file):
    reference = read_table(file_build)
    assert reference.num_rows == 5
    for name, out in memory_builds.items():
        assert shard_bytes(out) == shard_bytes(memory_builds["polars"]), name
        table = read_table(out)
        assert table.drop_columns(["source"]).equals(reference.drop_columns(["source"])), name
        assert table["source"].to_pylist() == [f"<memory>[{i}]" for i in range(5)]
        data = manifest(out)
        assert data["inputs"] == [{"path": "<memory>", "format": "bespoke"}] and data["config"]["input"] == ["<memory>"]
        assert data["counts"] == manifest(file_build)["counts"] and not (out / ".sources").exists()
    assert reference["source"].to_pylist() == [f"{records_file}:{line}" for line in range(1, 6)]


def test_traces_that_know_their_origin_give_the_files_bytes_exactly(file_build, records_file, cfg, tmp_path):
    fmt = resolve_format("bespoke")
    piece = SourceSlice(path=str(records_file), kind="jsonl", start=0, stop=5)
    traces = [fmt.to_trace(raw.value, raw.origin) for raw in read_slice(piece)]
    result = ltdata.build(traces, tmp_path / "traces", cfg)
    assert shard_bytes(result.output) == shard_bytes(file_build)
    assert result.manifest["inputs"] == [{"path": "<memory>", "format": "trace"}]


def test_the_scheduler_keyword_runs_on_an_existing_cluster(memory_builds, records, cfg, tmp_path):
    from distributed import LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        result = ltdata.build(records, tmp_path / "remote", cfg, scheduler=cluster.scheduler_address)
    assert shard_bytes(result.output) == shard_bytes(memory_builds["polars"])


def test_memory_records_are_named_by_row_in_errors_and_rejects(records, cfg, tmp_path):
    bad = [records[0], 42, {**records[1], "conversations": "oops"}, records[2]]
    int_error = "<memory>[1]: record must be a dict or an ltdata.Trace, got int"
    field_error = "<memory>[2] (id='bs-00002'): field 'conversations' must be a list, got str"
    with pytest.raises(ltdata.RecordError) as caught:
        ltdata.build(bad, tmp_path / "raise", cfg)
    assert str(caught.value) == int_error
    result = ltdata.build(iter(bad), tmp_path / "skip", cfg, on_error="skip")
    rejects = [json.loads(line) for line in (tmp_path / "skip" / "rejects.jsonl").read_text().splitlines()]
    assert rejects == [
        {"file": "<memory>", "line": None, "index": 1, "record_id": None, "field": None, "reason": "wrong_type",
         "error": int_error},
        {"file": "<memory>", "line": None, "index": 2, "record_id": "bs-00002", "field": "conversations",
         "reason": "wrong_type", "error": field_error}]
    assert result.manifest["counts"]["records_read"] == 4 and result.manifest["counts"]["records_written"] == 2
    assert read_table(tmp_path / "skip")["record_id"].to_pylist() == ["bs-00001", "bs-00003"]


def test_a_finished_memory_build_resumes_as_a_no_op_and_refuses_other_records(memory_builds, records, cfg):
    out = memory_builds["generator"]
    before = shard_bytes(out)
    assert ltdata.build(records, out, cfg, resume=True).manifest == manifest(out)
    assert shard_bytes(out) == before and not (out / ".sources").exists()
    with pytest.raises(ltdata.ConfigError, match="the inputs, settings or tokenizer differ"):
        ltdata.build(records[:4], out, cfg, resume=True)


@pytest.mark.parametrize("source, overrides, message", [
    (42, {}, "source: expected file paths, a polars DataFrame, a datasets.Dataset or an iterable of dicts or "
             "ltdata.Traces, got int"),
    ({"prompt": "p"}, {}, "got dict (one record: wrap it in a list)"),
    ([ltdata.Trace(prompt="p", reasoning="r")], {"format": "plain"},
     "format: 'plain' reads raw records; Traces need none (use format='auto')"),
])
def test_unusable_sources_are_config_errors(source, overrides, message, cfg, tmp_path):
    with pytest.raises(ltdata.ConfigError) as caught:
        ltdata.build(source, tmp_path / "out", cfg, **overrides)
    assert message in str(caught.value)
