"""Run build tasks on dask.distributed: a LocalCluster by default, or an existing scheduler.

Tasks are coarse (one shard each) and return small results; a tqdm bar advances as they finish.
The first failure cancels what is left and is re-raised as is, so the user sees one clear line.
A local cluster never has more workers than tasks, and its worker processes start in the
background while the driver prepares the build. A build of one task (or none left to run) runs on a
thread in this process, since a worker process would only add its start-up. Worker processes keep
their tokenizer to one thread, so `workers` processes use `workers` cores.
"""
from __future__ import annotations

import logging
import os
from contextlib import contextmanager
from typing import TYPE_CHECKING, Callable, Iterator, Sequence

from ltdata.errors import ConfigError

if TYPE_CHECKING:
    from distributed import Client


@contextmanager
def dask_client(*, workers: int | None, processes: bool, scheduler: str | None,
                preload: Sequence[str] = (), tasks: int | None = None) -> Iterator["Client"]:
    """A connected client; the local cluster (if we made one) closes on exit.

    `preload`: modules each local worker process imports as it starts (Dask's worker preload), so
    they are imported while the driver is still preparing, not when the first task arrives.
    `tasks`: how many tasks there are at most (the local cluster's size is capped by it).
    """
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            client = Client(scheduler, timeout="10s")
        except (OSError, TimeoutError) as exc:
            raise ConfigError(f"scheduler: cannot reach the Dask scheduler at {scheduler!r} ({exc})") from None
        with client:
            yield client
        return
    n_workers = max(1, min(workers or os.cpu_count() or 1, tasks if tasks is not None else 1 << 30))
    processes = processes and (tasks is None or tasks > 1)
    # one core per worker process, its tokenizer included (unless the user set TOKENIZERS_PARALLELISM)
    env = {} if "TOKENIZERS_PARALLELISM" in os.environ else {"TOKENIZERS_PARALLELISM": "false"}
    # the scheduler's HTTP endpoint always listens; a free port keeps concurrent builds from warning
    with LocalCluster(n_workers=0, threads_per_worker=1, processes=processes, dashboard_address=":0",
                      scheduler_kwargs={"dashboard": False}, silence_logs=logging.ERROR,
                      **({"preload": list(preload), "env": env} if processes else {})) as cluster, \
            Client(cluster) as client:
        cluster.scale(n_workers)        # returns at once; tasks wait at the scheduler for the workers
        yield client


def run_tasks(client, function: Callable, tasks: Sequence, *, progress: bool, description: str,
              **shared) -> Iterator:
    """Submit `function(task, **shared)` for every task; yield results as they complete."""
    from distributed import as_completed
    from tqdm.auto import tqdm

    if not tasks:
        return
    # `shared` is small (no data), so it travels inside the tasks: no scatter, which would wait for workers
    futures = client.map(function, list(tasks), pure=False, **shared)
    bar = tqdm(total=len(futures), desc=description, unit="shard", disable=not progress)
    try:
        for future in as_completed(futures):
            yield future.result()
            bar.update(1)
    except BaseException:
        client.cancel(futures)
        raise
    finally:
        bar.close()
