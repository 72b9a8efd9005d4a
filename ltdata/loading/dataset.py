"""Torch datasets over ltdata builds: random access (`ShardDataset`) and streaming (`ShardIterableDataset`).

Shards are memory-mapped, never loaded: a row is a dict of numpy views into the mapped Arrow file,
so opening a large build is instant and DataLoader workers share the page cache. Both reopen their
files after pickling, so they work with any DataLoader start method.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterator, Sequence

import numpy as np
from torch.utils.data import Dataset, IterableDataset, get_worker_info

from ltdata.loading.shards import (Batch, as_directories, check_columns, open_shard, read_manifests,
                                   shard_files)
from ltdata.shards.reader import map_shard

Paths = str | Path | Sequence[str | Path]


class ShardDataset(Dataset):
    """Random access to the rows of one or many build directories, in manifest order.

    `ds[i]` is a dict of the row's columns: numpy arrays for the per-token columns, `str` for
    `record_id`/`source`, Python scalars for `num_tokens`/`num_thoughts`/`truncated`. `columns`
    limits what a row carries (e.g. only what the collator needs).
    """

    def __init__(self, paths: Paths, *, columns: Sequence[str] | None = None):
        self.directories = as_directories(paths)
        self.columns = check_columns(columns)
        self.manifests = read_manifests(self.directories)
        self._open()

    def _open(self) -> None:
        self._batches: list[Batch] = [b for d, m in zip(self.directories, self.manifests)
                                      for path in shard_files(d, m) for b in open_shard(path)]
        rows = np.array([b.rows for b in self._batches], dtype=np.int64)
        self._ends = np.cumsum(rows)
        self.lengths = _concat([b.scalars["num_tokens"] for b in self._batches], np.int64)
        self.num_thoughts = _concat([b.scalars["num_thoughts"] for b in self._batches], np.int64)

    @property
    def manifest(self) -> dict:
        """The first directory's manifest (special_tokens, tokenizer path, mode, ...)."""
        return self.manifests[0]

    @property
    def tokenizer_path(self) -> Path:
        """The build's saved tokenizer (with the added tokens), for `AutoTokenizer.from_pretrained`."""
        return self.directories[0] / self.manifest["tokenizer"]["path"]

    def __len__(self) -> int:
        return int(self._ends[-1]) if len(self._ends) else 0

    def __getitem__(self, index: int) -> dict:
        index = int(index)
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(f"row {index} out of range for {len(self)} rows")
        b = int(np.searchsorted(self._ends, index, side="right"))
        start = int(self._ends[b - 1]) if b else 0
        return self._batches[b].row(index - start, self.columns)

    def __getstate__(self) -> dict:
        return {"directories": self.directories, "columns": self.columns, "manifests": self.manifests}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._open()


class ShardIterableDataset(IterableDataset):
    """Stream the rows record batch by record batch, split across ranks and DataLoader workers.

    Each (rank, worker) reads a disjoint set of record batches; with `shuffle` the batch order and the
    rows inside each batch are permuted from `seed` and the epoch (`set_epoch`), so every epoch is
    reproducible and different. Only the batches being read are touched, so it starts instantly.
    """

    def __init__(self, paths: Paths, *, columns: Sequence[str] | None = None, shuffle: bool = False,
                 seed: int = 0, rank: int = 0, world_size: int = 1):
        if not 0 <= rank < world_size:
            raise ValueError(f"rank {rank} is not in [0, world_size={world_size})")
        self.directories = as_directories(paths)
        self.columns = check_columns(columns)
        self.manifests = read_manifests(self.directories)
        self.shuffle, self.seed, self.rank, self.world_size = shuffle, seed, rank, world_size
        self.epoch = 0
        self._files = [p for d, m in zip(self.directories, self.manifests) for p in shard_files(d, m)]
        self._rows = sum(s["rows"] for m in self.manifests for s in m["shards"])

    @property
    def manifest(self) -> dict:
        return self.manifests[0]

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        """Rows over all ranks and workers (an upper bound for one rank: batches are not equal in size)."""
        return self._rows

    def __iter__(self) -> Iterator[dict]:
        worker = get_worker_info()
        workers, worker_id = (worker.num_workers, worker.id) if worker else (1, 0)
        part, parts = self.rank * workers + worker_id, self.world_size * workers
        rng = np.random.default_rng([self.seed, self.epoch])
        units = [(f, b) for f, path in enumerate(self._files) for b in range(_batch_count(path))]
        order = rng.permutation(len(units)) if self.shuffle else np.arange(len(units))
        opened: dict[int, list[Batch]] = {}
        for k in order[part::parts]:
            f, b = units[k]
            if f not in opened:
                opened = {f: open_shard(self._files[f])}
            batch = opened[f][b]
            rows = rng.permutation(batch.rows) if self.shuffle else range(batch.rows)
            for r in rows:
                yield batch.row(int(r), self.columns)


def _batch_count(path: Path) -> int:
    return map_shard(path).num_record_batches


def _concat(parts: list[np.ndarray], dtype) -> np.ndarray:
    return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype)
