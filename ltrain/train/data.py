"""Shards -> this rank's micro-batches -> the collator.

The data order is a function of (seed, epoch, global batch) only: step s of epoch e is the slice s
of a seeded permutation (or, for a curriculum, row s of its fixed plan), split into micro-batches
across ranks and accumulation steps. So the same samples form each optimizer step whatever the
world size or micro-batch size (a 1-rank and an 8-rank run follow the same loss curve), and
resuming at step s needs nothing but s.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
import torch

from ltdata.errors import ConfigError, LtdataError
from ltdata.shards.reader import read_manifest
from ltdata.shards.remote import local_build
from ltdata.storage import is_remote, shown
from ltrain.train.distributed import Ranks, all_reduce_sum


@dataclass(frozen=True, slots=True)
class DataInfo:
    """What the trainer needs from the manifests (checked to agree across directories)."""

    paths: list[str]
    mode: str
    special_tokens: dict
    cache_tokens: int
    template: str
    see_current: bool | None
    tokenizer_dir: Path
    tokenizer_hash: str
    added_tokens: list[str]
    token_descriptions: dict[str, str]


def local_data(paths: list[str], ranks: Ranks, *, progress: bool) -> list[str]:
    """`data` with each build at a URL replaced by its local copy in ltdata's cache, fetched once per machine:
    local rank 0 fetches while the other ranks wait in a collective, then finds the copies already there.

    Credentials come from the environment or a profile (AWS_*, GOOGLE_APPLICATION_CREDENTIALS, HF_TOKEN).
    """
    if not any(is_remote(p) for p in paths):
        return list(paths)
    fetched, error = None, None
    if ranks.local_rank == 0:
        try:
            fetched = [str(local_build(p, progress=progress and ranks.main)) for p in paths]
        except LtdataError as exc:
            error = exc
    if all_reduce_sum([float(error is not None)], ranks.device)[0]:
        raise error or ConfigError(f"data: another process could not fetch {', '.join(map(shown, paths))}")
    return fetched or [str(local_build(p)) for p in paths]


def read_data_info(paths: list[str]) -> DataInfo:
    problems, manifests = [], []
    for path in paths:
        try:
            manifests.append((path, read_manifest(path)))
        except LtdataError as exc:
            problems.append(f"data: {exc}")
    if problems:
        raise ConfigError(problems)
    first_path, first = manifests[0]
    for path, other in manifests[1:]:
        for key, value, theirs in (("tokenizer hash", first["tokenizer"]["hash"], other["tokenizer"]["hash"]),
                                   ("special_tokens", first["special_tokens"], other["special_tokens"]),
                                   ("mode", first["mode"], other["mode"])):
            if value != theirs:
                problems.append(f"data: {path} has {key} {theirs!r} but {first_path} has {value!r}; "
                                f"one run trains one mode with one tokenizer")
    if problems:
        raise ConfigError(problems)
    return DataInfo(paths=[str(p) for p in paths], mode=first["mode"], special_tokens=first["special_tokens"],
                    cache_tokens=first["cache_tokens"], template=first["tokenizer"]["template"],
                    see_current=first.get("see_current"), tokenizer_dir=Path(first_path) / first["tokenizer"]["path"],
                    tokenizer_hash=first["tokenizer"]["hash"], added_tokens=list(first["tokenizer"]["added_tokens"]),
                    token_descriptions=dict(first["token_descriptions"]))


class StepBatches(torch.utils.data.Sampler):
    """Yields this rank's micro-batches (lists of sample indices), `accumulation` per optimizer step.

    Subclasses say which samples form each step (`batch_indices`); how a step is bucketed by length
    and split over ranks and accumulation is the same for every data order.
    """

    def __init__(self, lengths: np.ndarray, *, micro_batch: int, accumulation: int, world_size: int, rank: int,
                 total_steps: int, start_step: int = 0, bucket_by_length: bool = True):
        self.lengths = np.asarray(lengths)
        self.micro_batch, self.accumulation = micro_batch, accumulation
        self.world_size, self.rank = world_size, rank
        self.global_batch = micro_batch * accumulation * world_size
        self.bucket = bucket_by_length
        self.total_steps, self.start_step = total_steps, start_step

    def batch_indices(self, step: int) -> np.ndarray:
        """The samples of optimizer step `step` (dataset indices, before bucketing)."""
        raise NotImplementedError

    def step_samples(self, step: int) -> np.ndarray:
        """The global batch of optimizer step `step`, in micro-batch order (longest first if bucketing)."""
        batch = self.batch_indices(step)
        if self.bucket:
            batch = batch[np.argsort(-self.lengths[batch], kind="stable")]
        return batch

    def rank_micro_batches(self, step: int) -> list[np.ndarray]:
        """This rank's micro-batches of `step`: slot m * world + rank, so ranks get similar lengths."""
        batch = self.step_samples(step)
        slots = [batch[k * self.micro_batch:(k + 1) * self.micro_batch] for k in range(len(batch) // self.micro_batch)]
        return [slots[m * self.world_size + self.rank] for m in range(self.accumulation)]

    def step_tokens(self, step: int) -> int:
        """Real (unpadded) tokens in the whole global batch of `step`."""
        return int(self.lengths[self.step_samples(step)].sum())

    def __iter__(self) -> Iterator[list[int]]:
        for step in range(self.start_step, self.total_steps):
            for micro in self.rank_micro_batches(step):
                yield micro.tolist()

    def __len__(self) -> int:
        return (self.total_steps - self.start_step) * self.accumulation


class StepSampler(StepBatches):
    """Epochs of seeded permutations: step s of epoch e is slice s of permutation (seed, e)."""

    def __init__(self, lengths: np.ndarray, *, seed: int, **kwargs):
        super().__init__(lengths, **kwargs)
        self.seed = seed
        self.steps_per_epoch = steps_per_epoch(len(self.lengths), self.global_batch)

    def batch_indices(self, step: int) -> np.ndarray:
        epoch, offset = divmod(step, self.steps_per_epoch)
        order = np.random.default_rng([self.seed, epoch]).permutation(len(self.lengths))
        return order[offset * self.global_batch:(offset + 1) * self.global_batch]


class PlanSampler(StepBatches):
    """A fixed order (a curriculum's): row s of `steps` [total steps, global batch] is step s's samples."""

    def __init__(self, lengths: np.ndarray, steps: np.ndarray, **kwargs):
        super().__init__(lengths, total_steps=len(steps), **kwargs)
        if steps.ndim != 2 or steps.shape[1] != self.global_batch:
            raise ValueError(f"steps: expected shape [steps, {self.global_batch}], got {list(steps.shape)}")
        self.steps = steps

    def batch_indices(self, step: int) -> np.ndarray:
        return self.steps[step]


def steps_per_epoch(samples: int, global_batch: int) -> int:
    """Whole global batches per epoch (the remainder sits out; a new permutation each epoch)."""
    if samples < global_batch:
        raise ConfigError(f"global_batch_size: a step takes {global_batch} samples but the data has only {samples}")
    return samples // global_batch


def build_loader(dataset, sampler: StepSampler, collator, *, num_workers: int, pin_memory: bool):
    return torch.utils.data.DataLoader(dataset, batch_sampler=sampler, collate_fn=collator, num_workers=num_workers,
                                       pin_memory=pin_memory, persistent_workers=False)
