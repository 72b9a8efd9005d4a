"""Length-bucketed batches: samples of similar length together, so dynamic padding pads little.

The classic recipe (as in fairseq/"megabatch" samplers): shuffle, cut into buckets of many batches,
sort each bucket by length, cut it into batches (a fixed size or a token budget), shuffle the
batches. Seeded per epoch, so a run is reproducible and resumable; split evenly across ranks.
"""
from __future__ import annotations

from typing import Iterator, Sequence

import numpy as np
from torch.utils.data import Sampler


class LengthBucketSampler(Sampler[list[int]]):
    """`DataLoader(ds, batch_sampler=LengthBucketSampler(ds.lengths, batch_size=8))`.

    Give `batch_size` (rows per batch) or `max_tokens` (rows * longest row <= max_tokens, the padded
    size the collator produces). `bucket_size` samples are sorted together: larger buckets pad less
    but mix lengths less within an epoch. `drop_last` drops short batches (batch_size only). With `world_size > 1` each rank
    gets every world_size-th batch, and all ranks the same number of batches.
    """

    def __init__(self, lengths: Sequence[int] | np.ndarray, *, batch_size: int | None = None,
                 max_tokens: int | None = None, bucket_size: int = 2048, shuffle: bool = True, seed: int = 0,
                 drop_last: bool = False, rank: int = 0, world_size: int = 1):
        if (batch_size is None) == (max_tokens is None):
            raise ValueError("give exactly one of batch_size and max_tokens")
        for name, value in (("batch_size", batch_size), ("max_tokens", max_tokens), ("bucket_size", bucket_size)):
            if value is not None and value < 1:
                raise ValueError(f"{name}: must be a positive integer, got {value}")
        if not 0 <= rank < world_size:
            raise ValueError(f"rank {rank} is not in [0, world_size={world_size})")
        self.lengths = np.asarray(lengths, dtype=np.int64)
        if max_tokens is not None and len(self.lengths) and self.lengths.max() > max_tokens:
            raise ValueError(f"max_tokens={max_tokens} is below the longest sample ({self.lengths.max()} tokens)")
        self.batch_size, self.max_tokens = batch_size, max_tokens
        self.bucket_size, self.shuffle, self.seed, self.drop_last = bucket_size, shuffle, seed, drop_last
        self.rank, self.world_size = rank, world_size
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def batches(self) -> list[list[int]]:
        """This rank's batches for the current epoch, in order."""
        rng = np.random.default_rng([self.seed, self.epoch])
        order = rng.permutation(len(self.lengths)) if self.shuffle else np.arange(len(self.lengths))
        batches: list[list[int]] = []
        for start in range(0, len(order), self.bucket_size):
            bucket = order[start:start + self.bucket_size]
            bucket = bucket[np.argsort(-self.lengths[bucket], kind="stable")]
            batches += self._cut(bucket)
        if self.drop_last and self.batch_size is not None:
            batches = [b for b in batches if len(b) == self.batch_size]
        if self.shuffle:
            batches = [batches[k] for k in rng.permutation(len(batches))]
        usable = len(batches) // self.world_size * self.world_size if self.world_size > 1 else len(batches)
        return batches[self.rank:usable:self.world_size]

    def _cut(self, bucket: np.ndarray) -> list[list[int]]:
        if self.batch_size is not None:
            return [bucket[k:k + self.batch_size].tolist() for k in range(0, len(bucket), self.batch_size)]
        out, current, longest = [], [], 0
        for index in bucket.tolist():
            longest_if_added = max(longest, int(self.lengths[index]))
            if current and longest_if_added * (len(current) + 1) > self.max_tokens:
                out.append(current)
                current, longest_if_added = [], int(self.lengths[index])
            current.append(index)
            longest = longest_if_added
        return out + [current] if current else out

    def __iter__(self) -> Iterator[list[int]]:
        return iter(self.batches())

    def __len__(self) -> int:
        return len(self.batches())
