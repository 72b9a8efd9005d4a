"""A finished build on S3 reads like the same build on disk: `ltdata.load`, stats, inspect, verify.

The build is made once, locally, and uploaded whole to the moto endpoint; each test reads it back
through a prefix of its own. A URL is read from a local copy under `$LTDATA_CACHE/builds/`, fetched
once per manifest fingerprint: the tests show that a second read fetches nothing (the remote shards
can be gone) and that a new fingerprint fetches again.
"""
from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path

import pytest
import torch
from s3fs import S3FileSystem

import ltdata
from ltdata.cache import cache_root
from ltdata.cli.main import main
from ltdata.config import BuildConfig
from ltdata.curriculum import Curriculum, build_curriculum, load_curriculum
from ltdata.errors import SchemaError
from ltdata.pipeline.build import build
from ltdata.shards.remote import local_build
from ltrain.train.data import local_data, read_data_info
from ltrain.train.distributed import Ranks
from ltrain.train.plan import mean_sample_tokens

DATA = Path(__file__).resolve().parents[1] / "data"
INPUTS = [str(DATA / "readers" / "bespoke.jsonl"), str(DATA / "malformed_bespoke.jsonl")]


@pytest.fixture(scope="module")
def local(tmp_path_factory, byte_tokenizer_path) -> Path:
    """A small finished build with two shards and a rejects file, made with a private cache."""
    root = tmp_path_factory.mktemp("remote-builds")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LTDATA_CACHE", str(root / "cache"))
        build(BuildConfig(input=INPUTS, output=str(root / "out"), tokenizer=byte_tokenizer_path, on_error="skip",
                          max_length=None, shard_size=2, workers=1, processes=False, progress=False))
    return root / "out"


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("LTDATA_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture
def url(s3, local, cache) -> str:
    """`local`, uploaded to a prefix of this test's own."""
    url = s3.url(f"builds/{uuid.uuid4().hex[:8]}")
    S3FileSystem(**s3.options).put(f"{local}/", f"{url}/", recursive=True)
    return url


def cli_options(options: dict) -> list[str]:
    values = {"key": options["key"], "secret": options["secret"],
              "endpoint_url": options["client_kwargs"]["endpoint_url"]}
    return [arg for k, v in values.items() for arg in ("--storage-option", f"{k}={v}")]


def run(capsys, *argv: str) -> tuple[int, str, str]:
    """Exit code, stdout and stderr without the moto server's request log (it shares the process)."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, "".join(line for line in err.splitlines(keepends=True) if " HTTP/1.1" not in line)


def test_load_gives_the_rows_of_the_local_build(s3, local, url):
    remote = ltdata.load(url, storage_options=s3.options)
    assert remote.data.table.equals(ltdata.load(local).data.table) and len(remote) > 2
    copy = local_build(url, s3.options)
    assert copy.is_relative_to(cache_root() / "builds")
    files = lambda root: sorted(p.relative_to(root) for p in root.rglob("*"))   # noqa: E731
    assert files(copy) == files(local)
    assert (copy / "rejects.jsonl").read_bytes() == (local / "rejects.jsonl").read_bytes()


def test_a_local_path_or_file_url_is_used_in_place(local, cache):
    assert local_build(str(local)) == local and local_build(f"file://{local}") == local
    assert not cache.exists()


def test_stats_inspect_and_verify_read_the_url(s3, local, url, capsys):
    code, remote, err = run(capsys, "stats", url, *cli_options(s3.options))
    assert code == 0 and "fetching" in err and s3.options["secret"] not in err + remote
    assert remote == run(capsys, "stats", str(local))[1].replace(str(local), url)
    code, out, _ = run(capsys, "stats", url, str(local), *cli_options(s3.options))
    assert code == 0 and out.splitlines()[0].split() == [url.rsplit("/", 1)[1], local.name]

    code, out, _ = run(capsys, "verify", url, *cli_options(s3.options))
    assert code == 0 and out.startswith(f"{url}: OK: ")
    record_id = json.loads(Path(INPUTS[0]).read_text().splitlines()[0])["id"]
    code, out, _ = run(capsys, "inspect", url, "--record", record_id, "--no-color", *cli_options(s3.options))
    assert code == 0 and out == run(capsys, "inspect", str(local), "--record", record_id, "--no-color")[1]


def test_a_second_read_fetches_nothing(s3, local, url):
    first = local_build(url, s3.options)
    fs = S3FileSystem(**s3.options)
    for shard in fs.glob(f"{url}/shard-*.arrow"):
        fs.rm(shard)
    assert local_build(url, s3.options) == first
    assert ltdata.load(url, storage_options=s3.options).data.table.equals(ltdata.load(local).data.table)


def test_a_new_fingerprint_is_fetched_again(s3, url):
    first = local_build(url, s3.options)
    fs = S3FileSystem(**s3.options)
    manifest = json.loads(fs.cat_file(f"{url}/manifest.json"))
    fs.pipe_file(f"{url}/manifest.json", json.dumps({**manifest, "fingerprint": "rebuilt"}).encode())
    second = local_build(url, s3.options)
    assert second != first and second.parent == first.parent
    assert json.loads((second / "manifest.json").read_text())["fingerprint"] == "rebuilt"
    assert [p.name for p in sorted(second.glob("shard-*"))] == [p.name for p in sorted(first.glob("shard-*"))]


def test_a_pruned_copy_is_fetched_again(s3, url):
    first = local_build(url, s3.options)
    next(first.glob("shard-*.arrow")).unlink()
    assert local_build(url, s3.options) == first and len(list(first.glob("shard-*.arrow"))) > 1


def test_a_url_without_a_manifest_is_the_error_of_an_unfinished_build(s3, tmp_path, cache):
    with pytest.raises(SchemaError, match=r"^s3://lt-data/sample: no manifest\.json \(not an ltdata output"):
        local_build(s3.url("sample"), s3.options)
    assert not cache.exists()


@pytest.mark.parametrize("command", [["stats"], ["verify"], ["inspect", "--record", "x"]])
def test_storage_failures_are_one_line(s3, url, capsys, command, tmp_path):
    name, *rest = command
    cases = [(url.replace(s3.url(""), "s3://no-such-bucket/"), s3.options, 2, "bucket 'no-such-bucket' does not exist"),
             (url, s3.denied, 2, "access denied"),
             (s3.url("sample"), s3.options, 1, "no manifest.json"),
             (str(tmp_path), s3.options, 1, "no manifest.json")]      # the same as a local directory
    for where, options, exit_code, needle in cases:
        code, out, err = run(capsys, name, where, *rest, *cli_options(options))
        assert (code, out) == (exit_code, ""), err
        assert err.startswith(f"ltdata: error: {where}") and needle in err and err.count("\n") == 1, err
        assert options["secret"] not in err


@pytest.fixture
def environment(s3, monkeypatch) -> None:
    """Credentials the usual way, for readers that take no storage_options (a curriculum plan, ltrain --data)."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3.endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", s3.options["key"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", s3.options["secret"])


def test_a_curriculum_source_at_a_url_is_named_by_it(s3, local, url, cache, tmp_path, environment):
    stage = {"name": "all", "sources": [{"shards": url}], "epochs": 1, "order": "as_is"}
    plan = build_curriculum(Curriculum.from_dict({"output": str(tmp_path / "curriculum"), "stages": [stage]}),
                            workers=1, processes=False, progress=False, storage_options=s3.options)
    summary = json.loads((tmp_path / "curriculum" / "curriculum.json").read_text())
    assert summary["tokenizer"] == f"{url}/tokenizer" and summary["stages"][0]["sources"][0]["directory"] == url
    assert plan.stages[0].sources == (str(local_build(url, s3.options)),)
    shutil.rmtree(cache)
    again = load_curriculum(tmp_path / "curriculum")
    assert again.stages[0].sources == plan.stages[0].sources and again.tokenizer == plan.tokenizer
    assert len(again.stages[0]) == ltdata.load(local).num_rows


def test_training_data_at_a_url_is_fetched_once_per_machine(s3, local, url, environment):
    ranks = Ranks(rank=0, world_size=1, local_rank=0, device=torch.device("cpu"))
    data = local_data([url, str(local)], ranks, progress=False)
    assert data == [str(local_build(url)), str(local)]
    assert read_data_info(data).tokenizer_hash == read_data_info([str(local)]).tokenizer_hash
    assert mean_sample_tokens([url]) == mean_sample_tokens([str(local)])
