"""`ltdata build` on a real cluster of separate processes whose only shared storage is S3.

The driver (`ltdata build --scheduler ...`, its own process) and the workers share no directory: inputs
come from `s3://cluster-data/`, the shards, part files and tokenizer go to `s3://cluster-builds/`, and the workers
learn the endpoint and keys from their own environment. Every build is compared byte for byte with one
local single-process build of the same S3 input (so the `source` column, which names the URL, matches).
"""
from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

import ltdata
from ltdata.cli.main import main
from cluster_helpers import BUILDS, INPUTS, PLUGINS, Store

INPUT = f"s3://{INPUTS}/sample/*.jsonl"       # 40 + 10 records: ten tasks of five
FLAGS = ["--input", INPUT, "--splitter", "slow_splitter:SlowThoughtSplitter", "--shard-size", "5",
         "--max-length", "none"]
SLOW = "0.3"                                # seconds per record in the slow splitter: tasks of ~2 s


@pytest.fixture(scope="module")
def reference(store, tmp_path_factory) -> Path:
    """The same build in one local process (`workers=1, processes=False`), written to a local directory."""
    out = tmp_path_factory.mktemp("reference")
    with pytest.MonkeyPatch.context() as patch:
        for name, value in store.env.items():
            patch.setenv(name, value)
        patch.setenv("LTDATA_CACHE", str(out / "cache"))
        patch.syspath_prepend(str(PLUGINS))
        assert main(["build", *FLAGS, "--output", str(out / "build"), "--workers", "1", "--no-processes",
                     "--no-progress"]) == 0
    return out / "build"


@pytest.fixture
def s3_env(store, tokenizer_store, monkeypatch) -> Store:
    """This process reads the store the way the workers do (endpoint and keys from the environment), with
    a private ltdata cache for the local copies `ltdata.load` keeps of remote builds."""
    for name, value in store.env.items():
        monkeypatch.setenv(name, value)
    return store


def keys(store: Store, prefix: str) -> dict[str, dict]:
    """The objects under `s3://lt-builds/PREFIX/`, by name relative to it."""
    pages = store.s3.get_paginator("list_objects_v2").paginate(Bucket=BUILDS, Prefix=f"{prefix}/")
    return {item["Key"].removeprefix(f"{prefix}/"): item for page in pages for item in page.get("Contents", [])}


def remote_files(store: Store, prefix: str) -> dict[str, bytes]:
    return {name: store.s3.get_object(Bucket=BUILDS, Key=f"{prefix}/{name}")["Body"].read()
            for name in sorted(keys(store, prefix))}


def local_files(directory: Path) -> dict[str, bytes]:
    return {p.relative_to(directory).as_posix(): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def finished(store: Store, prefix: str) -> list[str]:
    """Shards whose task finished (its part file is there), by name."""
    return sorted(f"shard-{Path(name).stem}.arrow" for name in keys(store, prefix) if name.startswith(".parts/"))


def versions(store: Store, prefix: str) -> dict[str, list[str]]:
    """Every version ever written of each shard, newest first (the bucket keeps versions)."""
    listing = store.s3.list_object_versions(Bucket=BUILDS, Prefix=f"{prefix}/shard-")
    out: dict[str, list[str]] = {}
    for version in listing.get("Versions", []):
        out.setdefault(version["Key"].removeprefix(f"{prefix}/"), []).append(version["VersionId"])
    return out


def wait_until(condition, what: str, timeout: float = 120) -> None:
    deadline = time.time() + timeout
    while not condition():
        if time.time() > deadline:
            raise TimeoutError(what)
        time.sleep(0.25)


def assert_same_build(store: Store, prefix: str, reference: Path) -> None:
    """Shards, manifest and tokenizer on S3 are byte-identical to the local build; no working files are left."""
    assert remote_files(store, prefix) == local_files(reference)


@pytest.mark.slow
def test_a_cluster_builds_s3_input_into_s3_like_one_local_process(s3_env, cluster, driver, reference):
    # here the endpoint reaches the driver and the workers only as --storage-option (their keys stay in the env)
    del cluster.base_env["AWS_ENDPOINT_URL"], driver.env["AWS_ENDPOINT_URL"]
    workers = [cluster.start_worker(), cluster.start_worker()]
    cluster.wait_for_workers(2)
    out = f"s3://{BUILDS}/plain"
    if cluster.hidden is not None:
        assert cluster.on_workers(os.path.exists, str(driver.directory)) == [False, False]

    done = driver.run(*FLAGS, "--scheduler", cluster.address, "--output", out,
                      "--storage-option", f"endpoint_url={s3_env.endpoint}")

    assert done.returncode == 0, done.stderr
    assert_same_build(s3_env, "plain", reference)
    # both workers ran tasks, with the tokenizer fetched from the store into their own TMPDIR
    assert all(list((w.directory / "tmp").rglob("tokenizer.json")) for w in workers)
    assert main(["verify", out]) == 0 and main(["stats", out]) == 0
    assert ltdata.load(out).to_list() == ltdata.load(reference).to_list()


@pytest.mark.slow
def test_a_build_that_lost_a_worker_and_its_driver_resumes_without_rewriting_finished_shards(
        s3_env, cluster, driver, reference):
    slow = [cluster.start_worker(LTDATA_SLOW_SPLITTER_DELAY=SLOW), cluster.start_worker(LTDATA_SLOW_SPLITTER_DELAY=SLOW)]
    cluster.wait_for_workers(2)
    out, total = f"s3://{BUILDS}/killed", len(list(reference.glob("shard-*.arrow")))
    build = driver.start(*FLAGS, "--scheduler", cluster.address, "--output", out)

    wait_until(lambda: len(finished(s3_env, "killed")) >= 2, "two tasks finish")
    cluster.kill(slow[0])
    lost_worker_at = len(finished(s3_env, "killed"))
    wait_until(lambda: len(finished(s3_env, "killed")) > lost_worker_at, "the build goes on with one worker")
    driver.kill(build)
    cluster.kill(slow[1])            # nothing still running can land on the store after this point
    done_before = finished(s3_env, "killed")
    assert 3 <= len(done_before) < total and "manifest.json" not in keys(s3_env, "killed"), done_before
    before = versions(s3_env, "killed")

    for _ in range(2):               # replacements, without the delay
        cluster.start_worker()
    cluster.wait_for_workers(2)
    resumed = driver.run(*FLAGS, "--scheduler", cluster.address, "--output", out, "--resume")

    assert resumed.returncode == 0, resumed.stderr
    after = versions(s3_env, "killed")
    assert {name: after[name] for name in done_before} == {name: before[name] for name in done_before}
    assert all(len(after[name]) == 1 for name in done_before)
    assert_same_build(s3_env, "killed", reference)
    assert main(["verify", out]) == 0


def test_overwrite_refuses_an_s3_prefix_that_is_not_an_ltdata_output(s3_env, capsys):
    s3_env.s3.put_object(Bucket=BUILDS, Key="foreign/notes.txt", Body=b"not a build")
    out = f"s3://{BUILDS}/foreign"

    code = main(["build", *FLAGS, "--output", out, "--overwrite", "--no-progress"])

    error = capsys.readouterr().err.strip()
    assert code == 2 and len(error.splitlines()) == 1, error
    assert out in error and "does not look like an ltdata output" in error
    assert list(keys(s3_env, "foreign")) == ["notes.txt"]
