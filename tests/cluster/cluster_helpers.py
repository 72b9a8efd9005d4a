"""The processes of the cluster tests: moto's S3 server, `dask scheduler`/`dask worker`, `ltdata build`.

A plain module, imported by the fixtures and the tests (`conftest` names collide across test folders).
Every process starts in an empty directory of its own, in a session of its own so that one SIGKILL to
its process group ends it and its children (a worker's nanny and worker process), as a lost machine would.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import boto3

from s3_endpoint import Endpoint

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "ltdata" / "sample_data"
PLUGINS = REPO / "tests" / "plugins"
DASK = Path(sys.executable).with_name("dask")
INPUTS, BUILDS = "cluster-data", "cluster-builds"      # buckets: the sample data; builds (versioned)
STARTUP_S = 60


@dataclass(frozen=True)
class Store:
    """The session's S3 endpoint as a cluster sees it.

    `s3://cluster-data/sample/` holds the bundled sample data; `cluster-builds` keeps every version.
    """

    endpoint: str
    key: str
    secret: str

    @property
    def env(self) -> dict[str, str]:
        """What a cluster's own configuration gives its processes: the endpoint and the builder's keys."""
        return {"AWS_ENDPOINT_URL": self.endpoint, "AWS_ACCESS_KEY_ID": self.key,
                "AWS_SECRET_ACCESS_KEY": self.secret, "AWS_DEFAULT_REGION": "us-east-1"}

    @cached_property
    def s3(self):
        """A boto3 S3 client with the builder's keys (made once: the tests poll the store)."""
        return boto3.client("s3", endpoint_url=self.endpoint, region_name="us-east-1",
                            aws_access_key_id=self.key, aws_secret_access_key=self.secret)


def open_store(endpoint: Endpoint) -> Store:
    """The builder's keys on the session's S3 endpoint; the sample data uploaded, a versioned bucket for builds."""
    store = Store(endpoint=endpoint.url, key=endpoint.allowed["AccessKeyId"],
                  secret=endpoint.allowed["SecretAccessKey"])
    s3 = store.s3
    s3.create_bucket(Bucket=INPUTS)
    for path in sorted(SAMPLE.glob("*.json*")):
        s3.put_object(Bucket=INPUTS, Key=f"sample/{path.name}", Body=path.read_bytes())
    s3.create_bucket(Bucket=BUILDS)
    s3.put_bucket_versioning(Bucket=BUILDS, VersioningConfiguration={"Status": "Enabled"})
    return store


def base_env(store: Store, **extra: str) -> dict[str, str]:
    """An environment made from nothing: no variable of the test process reaches a cluster process."""
    return {"PATH": os.defpath, "LANG": "C.UTF-8", "PYTHONPATH": str(PLUGINS), "HF_HUB_OFFLINE": "1",
            "HF_DATASETS_OFFLINE": "1", "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false",
            **store.env, **extra}


def can_hide_directories() -> bool:
    """Whether a process may get a private mount namespace (`unshare --mount`: root, or user namespaces)."""
    probe = ["unshare", "--mount", "--propagation", "private", "true"]
    return shutil.which("unshare") is not None and subprocess.run(probe, capture_output=True).returncode == 0


def spawn(command: list[str], directory: Path, env: dict[str, str]) -> subprocess.Popen:
    """`command` in `directory`, in a session of its own, its output in `directory/process.log`."""
    with open(directory / "process.log", "wb") as log:
        return subprocess.Popen(command, cwd=directory, env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)


def kill(process: subprocess.Popen) -> None:
    """SIGKILL the process and everything in its session."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def start_scheduler(directory: Path, env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    """`dask scheduler` on a free port; its address, from the scheduler file it writes.

    Should the test process die without its teardown, the scheduler closes after 10 idle minutes and
    its workers 60 s later (`--death-timeout`), so nothing outlives a crashed session for long.
    """
    scheduler_file = directory / "scheduler.json"
    command = [str(DASK), "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
               "--scheduler-file", str(scheduler_file), "--idle-timeout", "600s"]
    process = spawn(command, directory, env)
    deadline = time.time() + STARTUP_S
    while True:
        try:
            return process, json.loads(scheduler_file.read_text())["address"]
        except (FileNotFoundError, ValueError, KeyError):         # not written yet, or not whole yet
            if process.poll() is not None or time.time() > deadline:
                kill(process)
                raise RuntimeError(f"dask scheduler did not start; see {directory / 'process.log'}") from None
            time.sleep(0.05)


@dataclass
class Worker:
    name: str
    directory: Path
    process: subprocess.Popen


@dataclass
class Cluster:
    """A running `dask scheduler`; workers are started, killed and replaced by the test."""

    address: str
    base_env: dict[str, str]          # every worker's environment before its own HOME and TMPDIR
    root: Path                        # one empty directory per process, outside pytest's temporary directories
    hidden: Path | None               # covered by an empty tmpfs in every worker, or None where that is not allowed
    workers: list[Worker] = field(default_factory=list)
    started: int = 0

    def start_worker(self, **env: str) -> Worker:
        """One `dask worker` (one process, one thread) in a new empty directory; `env` adds variables."""
        name = f"worker-{self.started}"
        self.started += 1
        directory = self.root / name
        (directory / "tmp").mkdir(parents=True)
        command = [str(DASK), "worker", self.address, "--name", name, "--nworkers", "1", "--nthreads", "1",
                   "--local-directory", str(directory / "dask"), "--no-dashboard", "--host", "127.0.0.1",
                   "--death-timeout", "60"]
        if self.hidden is not None:
            hide = 'mount -t tmpfs -o size=4k,mode=000 hidden "$0" && exec "$@"'
            command = ["unshare", "--mount", "--propagation", "private", "sh", "-c", hide, str(self.hidden),
                       *command]
        environment = {**self.base_env, "HOME": str(directory), "TMPDIR": str(directory / "tmp"), **env}
        worker = Worker(name, directory, spawn(command, directory, environment))
        self.workers.append(worker)
        return worker

    def kill(self, worker: Worker) -> None:
        """SIGKILL the worker's nanny and worker process, as a lost machine would."""
        kill(worker.process)
        self.workers.remove(worker)

    def wait_for_workers(self, n: int) -> None:
        """Return once the scheduler has exactly `n` workers."""
        from distributed import Client

        with Client(self.address, timeout="10s") as client:
            deadline = time.time() + STARTUP_S
            while len(client.scheduler_info(n_workers=-1)["workers"]) != n:
                dead = [w.name for w in self.workers if w.process.poll() is not None]
                if dead or time.time() > deadline:
                    raise RuntimeError(f"workers did not connect (dead: {dead}); see their logs in {self.root}")
                time.sleep(0.1)

    def on_workers(self, function, *args) -> list:
        """`function(*args)` run in every worker process (Dask's `Client.run`)."""
        from distributed import Client

        with Client(self.address, timeout="10s") as client:
            return list(client.run(function, *args).values())

    def close(self) -> None:
        for worker in list(self.workers):
            self.kill(worker)


@dataclass
class Driver:
    """`ltdata build` as its own process, in a directory of its own that the workers never see."""

    directory: Path
    env: dict[str, str]
    started: list[subprocess.Popen] = field(default_factory=list)

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "ltdata.cli.main", "build", "--no-progress", *args]

    def start(self, *args: str) -> subprocess.Popen:
        """The build in the background, for the test to kill."""
        process = subprocess.Popen(self.command(*args), cwd=self.directory, env=self.env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        self.started.append(process)
        return process

    def kill(self, process: subprocess.Popen) -> None:
        """SIGKILL the driver, as a lost login node or a killed job would."""
        kill(process)

    def run(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        return subprocess.run(self.command(*args), cwd=self.directory, env=self.env, capture_output=True,
                              text=True, timeout=timeout)

    def close(self) -> None:
        for process in self.started:
            kill(process)
