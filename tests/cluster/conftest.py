"""A real Dask cluster of separate processes next to a real S3 endpoint: builds with no shared disk.

`dask scheduler` and `dask worker` processes, each in an empty directory of its own with its own HOME,
TMPDIR and `--local-directory`, and an environment made from nothing but what a cluster's own
configuration would give it: the S3 endpoint and keys (`AWS_*`), `HF_HUB_OFFLINE=1`, the test plugins
on `PYTHONPATH`. Where a private mount namespace is allowed (root, as in this workplace), every worker
also finds an empty tmpfs where pytest's temporary directories are, so the driver's files are not just
unnamed but unreachable. The store is moto's S3 server with IAM checks on: only the builder's keys work.
"""
from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from cluster_helpers import (Cluster, Driver, Store, base_env, can_hide_directories, kill,
                             open_store, start_scheduler)


@pytest.fixture(scope="session")
def store(s3_endpoint) -> Store:
    return open_store(s3_endpoint)


@pytest.fixture
def cluster(store, tmp_path_factory) -> Iterator[Cluster]:
    """A scheduler with no workers yet; every process it or the test started is killed at the end."""
    root = Path(tempfile.mkdtemp(prefix="ltdata-cluster-"))
    (root / "scheduler").mkdir()
    scheduler = result = None
    try:
        scheduler, address = start_scheduler(root / "scheduler", base_env(store, HOME=str(root / "scheduler")))
        hidden = tmp_path_factory.getbasetemp() if can_hide_directories() else None
        result = Cluster(address=address, base_env=base_env(store), root=root, hidden=hidden)
        yield result
    finally:
        if result is not None:
            result.close()
        if scheduler is not None:
            kill(scheduler)
        for log in sorted(root.glob("*/process.log")):      # shown by pytest when the test failed
            print(f"--- {log.parent.name}\n" + "\n".join(log.read_text(errors="replace").splitlines()[-15:]))
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def driver(store, tmp_path) -> Iterator[Driver]:
    """The driver's directory (its cwd, HOME, TMPDIR and tokenizer cache) is under pytest's tmp_path."""
    directory = tmp_path / "driver"
    (directory / "tmp").mkdir(parents=True)
    result = Driver(directory=directory, env=base_env(store, HOME=str(directory), TMPDIR=str(directory / "tmp"),
                                                      LTDATA_CACHE=str(directory / "cache")))
    try:
        yield result
    finally:
        result.close()
