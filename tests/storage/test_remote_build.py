"""`ltdata build` to and from `s3://` writes what the same build writes on a local disk.

Inputs and outputs are on a real S3 endpoint (moto's server); credentials and the endpoint travel as
`storage_options`. Shards record each example's source (`file:line`), which is the URL when the input
is on S3, so builds are compared against a local build of the same input URLs, or with the URL mapped
back to the local name.
"""
from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.ipc as ipc
import pytest
from s3fs import S3FileSystem

import ltdata
from ltdata.config import BuildConfig
from ltdata.errors import ConfigError
from ltdata.pipeline.build import build

FILES = ["r1_messages.jsonl"]
SETTINGS = dict(workers=1, processes=False, progress=False, shard_size=4)


def read_shards(directory: Path) -> dict[str, pa.Table]:
    return {path.name: ipc.open_file(pa.memory_map(str(path))).read_all()
            for path in sorted(directory.glob("shard-*.arrow"))}


def remote_files(s3, prefix: str) -> dict[str, bytes]:
    """Every object under `s3://lt-data/PREFIX/`, by its name below the prefix."""
    fs = S3FileSystem(**s3.options, skip_instance_cache=True)
    root = f"lt-data/{prefix}/"
    return {path.removeprefix(root): fs.cat_file(path) for path in fs.find(root)}


def local_files(directory: Path) -> dict[str, bytes]:
    return {p.relative_to(directory).as_posix(): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def test_a_build_from_s3_equals_the_build_from_the_local_files(s3, tokenizer_store, monkeypatch):
    monkeypatch.chdir(s3.local / "sample")
    build(BuildConfig(input=FILES, output=str(tokenizer_store / "local"), **SETTINGS))
    result = build(BuildConfig(input=[s3.url("sample/r1_*.jsonl")], output=str(tokenizer_store / "remote"),
                               storage_options=s3.options, **SETTINGS))

    assert [entry["path"] for entry in result.manifest["inputs"]] == [s3.url(f"sample/{name}") for name in FILES]
    assert "storage_options" not in result.manifest["config"]
    local, remote = read_shards(tokenizer_store / "local"), read_shards(tokenizer_store / "remote")
    assert list(remote) == list(local) and len(local) > 1
    prefix = s3.url("sample/")
    for name, table in remote.items():
        sources = table.column("source").to_pylist()
        assert all(source.startswith(prefix) for source in sources)
        index = table.schema.get_field_index("source")
        unprefixed = table.set_column(index, table.schema.field(index),
                                      pa.array([source.removeprefix(prefix) for source in sources]))
        assert unprefixed.equals(local[name], check_metadata=True), name


def test_a_build_to_s3_writes_the_files_of_a_local_build_and_nothing_else(s3, tokenizer_store):
    config = BuildConfig(input=[s3.url("sample/r1_*.jsonl")], storage_options=s3.options, **SETTINGS)
    local = build(config.replace(output=str(tokenizer_store / "local")))
    remote = build(config.replace(output=s3.url("out/run1")))

    assert remote.output == s3.url("out/run1") and remote.manifest == local.manifest
    written = remote_files(s3, "out/run1")
    assert written == local_files(tokenizer_store / "local")
    assert "manifest.json" in written and any(name.startswith("tokenizer/") for name in written)
    assert not [name for name in written if name.startswith(".")], "working files left on the store"


def test_records_in_memory_reach_worker_processes_through_the_store(s3, tokenizer_store):
    records = [json.loads(line) for line in (s3.local / "sample" / "r1_messages.jsonl").read_text().splitlines()]
    settings = {**SETTINGS, "workers": 2, "processes": True, "shard_size": 3}
    local = build(records, tokenizer_store / "memory", **settings)
    remote = build(records, s3.url("out/memory"), storage_options=s3.options, **settings)

    assert len(local.manifest["shards"]) > 1 and remote.manifest == local.manifest
    assert remote_files(s3, "out/memory") == local_files(tokenizer_store / "memory")


def test_refusing_overwriting_and_resuming_on_s3(s3, tokenizer_store):
    fs = S3FileSystem(**s3.options, skip_instance_cache=True)
    fs.pipe_file("lt-data/notours/data.csv", b"a,b\n")
    config = BuildConfig(input=[s3.url("sample/r1_*.jsonl")], storage_options=s3.options, **SETTINGS)
    with pytest.raises(ConfigError, match=r"^output: s3://lt-data/notours is not empty; use --resume"):
        build(config.replace(output=s3.url("notours")))
    with pytest.raises(ConfigError, match=r"^overwrite: s3://lt-data/notours is not empty and does not look like "
                                          r"an ltdata output \(no manifest.json\)"):
        build(config.replace(output=s3.url("notours"), overwrite=True))
    assert fs.cat_file("lt-data/notours/data.csv") == b"a,b\n"

    first = build(config.replace(output=s3.url("out/again")))
    tags = {path: fs.info(path)["ETag"] for path in fs.find("lt-data/out/again")}
    resumed = build(config.replace(output=s3.url("out/again"), resume=True))
    fs.invalidate_cache()
    assert resumed.manifest == first.manifest
    assert {path: fs.info(path)["ETag"] for path in fs.find("lt-data/out/again")} == tags, "a finished build was rewritten"
    replaced = build(config.replace(output=s3.url("out/again"), overwrite=True, shard_size=100))
    assert len(replaced.manifest["shards"]) == 1
    assert sorted(remote_files(s3, "out/again")) == sorted(["manifest.json", "shard-00000.arrow"]
                                                           + [f"tokenizer/{n}" for n in _tokenizer_files(s3)])


def _tokenizer_files(s3) -> list[str]:
    fs = S3FileSystem(**s3.options, skip_instance_cache=True)
    return sorted(path.rsplit("/", 1)[1] for path in fs.find("lt-data/out/again/tokenizer"))


def test_write_shards_to_s3_equals_write_shards_to_a_local_directory(s3, byte_tokenizer_path, tokenizer_store):
    config = BuildConfig(tokenizer=byte_tokenizer_path, max_length=None, progress=False, shard_size=2)
    examples = [ltdata.layout(ltdata.Trace(prompt=f"q{i}?", reasoning="one.\n\ntwo.\n\n", answer="a"), config)
                for i in range(3)]
    local = ltdata.write_shards(examples, tokenizer_store / "written", config)
    remote = ltdata.write_shards(examples, s3.url("out/written"), config, storage_options=s3.options)
    assert remote.manifest == local.manifest
    assert remote_files(s3, "out/written") == local_files(tokenizer_store / "written")


def test_read_only_and_unreachable_outputs_are_one_line_errors(s3, tokenizer_store):
    config = BuildConfig(input=[s3.url("sample/r1_*.jsonl")], storage_options=s3.options, **SETTINGS)
    with pytest.raises(ConfigError, match=r"^https://example.org/out: https:// is read-only"):
        build(config.replace(output="https://example.org/out"))
    with pytest.raises(ConfigError, match=r"^s3://no-such-bucket/out: bucket 'no-such-bucket' does not exist"):
        build(config.replace(output="s3://no-such-bucket/out"))
    with pytest.raises(ConfigError, match=r"^s3://lt-data/out/denied.*: access denied"):
        build(config.replace(output=s3.url("out/denied"), storage_options=s3.denied))
