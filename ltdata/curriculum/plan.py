"""Stage plans: the exact sample order of each curriculum stage, a pure function of recipe, data and seed.

Nothing depends on how many workers built the data or how many ranks will train: shuffles come from
numpy generators seeded by (seed, stage, source, pass); sources are interleaved by a fixed weighted
schedule (the k-th sample of source s sits at position (k + 1/2) / weight_s), so the first N samples
hold each source in its ratio at every point of the stage; each rank takes its slice of the one global
order (`for_rank`, for trainers that stride; `ltrain train` splits each global batch instead), and a
resumed run skips the samples already consumed.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from ltdata.curriculum.recipe import DERIVED_COLUMNS, StageSpec
from ltdata.errors import ConfigError
from ltdata.metrics import per_record_metrics
from ltdata.shards.reader import scan_shards, shard_paths
from ltdata.shards.schema import SCALAR_COLUMNS, TEXT_COLUMNS


@dataclass(frozen=True)
class StagePlan:
    """One stage's samples in training order: which source, which row of it."""

    name: str
    sources: tuple[str, ...]   # shard directory of each source
    source: np.ndarray         # int16 [samples]: index into `sources`
    row: np.ndarray            # int64 [samples]: row within its source (shards in manifest order)
    num_tokens: np.ndarray     # int64 [samples]

    def __len__(self) -> int:
        return int(self.source.shape[0])

    @property
    def tokens(self) -> int:
        return int(self.num_tokens.sum())

    def for_rank(self, rank: int, world: int, *, start: int = 0) -> "StagePlan":
        """The samples rank `rank` of `world` trains on, after the first `start` of the stage were consumed."""
        if not 0 <= rank < world:
            raise ConfigError(f"rank: must be in [0, {world}), got {rank}")
        pick = np.arange(start + rank, len(self), world)
        return StagePlan(self.name, self.sources, self.source[pick], self.row[pick], self.num_tokens[pick])


def source_frame(directory: str | Path, *, derived: bool) -> pl.DataFrame:
    """One row per shard row: its index, scalar columns and (when asked) the mask figures."""
    paths = shard_paths(directory)
    if not paths:
        raise ConfigError(f"curriculum: {directory} holds no shards")
    frame = scan_shards(paths, TEXT_COLUMNS + SCALAR_COLUMNS).with_row_index("row").collect()
    if derived:
        metrics = per_record_metrics(paths)
        frame = frame.with_columns(
            pl.Series("peak_tokens", metrics[:, 0]), pl.Series("dep", metrics[:, 1]),
            pl.Series("vanilla_peak_tokens", metrics[:, 2]), pl.Series("vanilla_dep", metrics[:, 3]),
            pl.Series("compression", metrics[:, 3] / np.maximum(metrics[:, 1], 1)))
    return frame


def select(frame: pl.DataFrame, where: dict[str, dict]) -> pl.DataFrame:
    """The rows that pass every filter (numeric ranges inclusive; text by regex search)."""
    for column, condition in where.items():
        if column in TEXT_COLUMNS:
            frame = frame.filter(pl.col(column).str.contains(condition["matches"]))
            continue
        if "min" in condition:
            frame = frame.filter(pl.col(column) >= condition["min"])
        if "max" in condition:
            frame = frame.filter(pl.col(column) <= condition["max"])
    return frame


def needs_derived(stage: StageSpec) -> bool:
    return stage.sort_by in DERIVED_COLUMNS or any(c in DERIVED_COLUMNS for c in stage.where)


def plan_stage(stage: StageSpec, index: int, directories: list[str], frames: list[pl.DataFrame],
               *, seed: int) -> StagePlan:
    """Choose and order the stage's samples from each source's selected rows."""
    sizes = np.array([len(f) for f in frames], dtype=np.int64)
    for directory, size in zip(directories, sizes):
        if size == 0:
            raise ConfigError(f"curriculum.stages[{index}] ({stage.name}): no row of {directory} passes its filters")
    given = [s.weight for s in stage.sources]
    weights = sizes.astype(np.float64) if given[0] is None else np.array(given, dtype=np.float64)
    streams = [_Stream(f, stage, seed=(seed, index, s)) for s, f in enumerate(frames)]
    if stage.tokens is not None:
        order = _by_tokens(streams, weights, stage.tokens)
    else:
        epochs = 1.0 if stage.epochs is None else float(stage.epochs)
        order = _first(weights, _count(epochs, sizes, weights, given[0] is None))
    source, row, tokens, key = _materialise(order, streams)
    if stage.order == "sort":
        rank = np.argsort(-key if stage.descending else key, kind="stable")
        source, row, tokens = source[rank], row[rank], tokens[rank]
    return StagePlan(stage.name, tuple(directories), source.astype(np.int16), row, tokens)


def _count(epochs: float, sizes: np.ndarray, weights: np.ndarray, proportional: bool) -> int:
    """Samples in an epoch-length stage: epochs x every source (proportional), or x their total (weighted)."""
    if proportional:
        return int(np.round(epochs * sizes).sum())
    return int(round(epochs * int(sizes.sum())))


class _Stream:
    """A source's rows, pass after pass: as selected, reshuffled each pass, or (for sort) as selected."""

    def __init__(self, frame: pl.DataFrame, stage: StageSpec, *, seed: tuple[int, int, int]):
        self.rows = frame["row"].to_numpy().astype(np.int64)
        self.tokens = frame["num_tokens"].to_numpy().astype(np.int64)
        self.key = frame[stage.sort_by].cast(pl.Float64).to_numpy()
        self.shuffle = stage.order == "shuffle"
        self.seed = seed

    def take(self, count: int) -> np.ndarray:
        """Positions (into rows/tokens/key) of this source's first `count` samples."""
        passes = []
        for p in range(-(-count // len(self.rows))):
            if self.shuffle:
                passes.append(np.random.default_rng([*self.seed, p]).permutation(len(self.rows)))
            else:
                passes.append(np.arange(len(self.rows)))
        return np.concatenate(passes)[:count] if passes else np.zeros(0, dtype=np.int64)


def _first(weights: np.ndarray, total: int) -> list[int]:
    """Source index of each of the first `total` samples of the weighted schedule."""
    share = weights / weights.sum()
    counts = [int(np.ceil(total * w)) + 1 for w in share]
    position = np.concatenate([(np.arange(c) + 0.5) / w for c, w in zip(counts, share)])
    owner = np.concatenate([np.full(c, s) for s, c in enumerate(counts)])
    return owner[np.lexsort((owner, position))][:total].tolist()


def _by_tokens(streams: list[_Stream], weights: np.ndarray, budget: int) -> list[int]:
    """The shortest schedule prefix whose samples hold at least `budget` tokens."""
    mean = min(float(s.tokens.mean()) for s in streams)
    total = int(budget / max(mean, 1.0)) + len(streams)
    while True:
        order = _first(weights, total)
        _, _, tokens, _ = _materialise(order, streams)
        reached = np.flatnonzero(np.cumsum(tokens) >= budget)
        if reached.size:
            return order[: int(reached[0]) + 1]
        total *= 2


def _materialise(order: list[int], streams: list[_Stream]) -> tuple[np.ndarray, ...]:
    """(source, row, tokens, sort key) per sample of a schedule."""
    owner = np.asarray(order, dtype=np.int64)
    source = owner.copy()
    row = np.zeros(len(owner), dtype=np.int64)
    tokens = np.zeros(len(owner), dtype=np.int64)
    key = np.zeros(len(owner), dtype=np.float64)
    for s, stream in enumerate(streams):
        slots = np.flatnonzero(owner == s)
        picks = stream.take(len(slots))
        row[slots], tokens[slots], key[slots] = stream.rows[picks], stream.tokens[picks], stream.key[picks]
    return source, row, tokens, key
