"""`ltdata build` from `s3://` input gives the shards of the same build from the local files.

BuildConfig has no `storage_options` yet, so the credentials and endpoint reach s3fs the usual way, through
`AWS_*` environment variables. Shards record each example's source (`file:line`), which is the URL here, so
the comparison maps the URL back to the local name; every other byte of every column must be equal.
"""
from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.ipc as ipc

from ltdata.config import BuildConfig
from ltdata.pipeline.build import build

FILES = ["r1_messages.jsonl"]


def read_shards(directory: Path) -> dict[str, pa.Table]:
    return {path.name: ipc.open_file(pa.memory_map(str(path))).read_all()
            for path in sorted(directory.glob("shard-*.arrow"))}


def test_a_build_from_s3_equals_the_build_from_the_local_files(s3, tokenizer_store, monkeypatch):
    settings = dict(workers=1, processes=False, progress=False, shard_size=4)
    monkeypatch.chdir(s3.local / "sample")
    build(BuildConfig(input=FILES, output=str(tokenizer_store / "local"), **settings))

    monkeypatch.setenv("AWS_ENDPOINT_URL", s3.endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", s3.options["key"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", s3.options["secret"])
    result = build(BuildConfig(input=[s3.url("sample/r1_*.jsonl")], output=str(tokenizer_store / "remote"), **settings))

    assert [entry["path"] for entry in result.manifest["inputs"]] == [s3.url(f"sample/{name}") for name in FILES]
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
