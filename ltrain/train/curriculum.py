"""A built curriculum as the trainer reads it: one dataset over every source, each stage as whole steps.

Optimizer step s of a stage takes its plan's samples [s*G, (s+1)*G) (G = the global batch); the last
len % G samples of a stage sit out, as an epoch's remainder does, so no step is short. Before
anything trains, the plan is checked against the shards (its rows exist, their lengths agree) and
every source against the covering tokenizer (the same special-token ids), and its files are hashed
so that a resume can refuse a curriculum that changed under it.
"""
from __future__ import annotations

import dataclasses
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import numpy as np

from ltdata.curriculum.build import PLAN_FILE, load_curriculum
from ltdata.errors import ConfigError, SchemaError
from ltdata.shards.reader import read_manifest
from ltrain.train.data import DataInfo, read_data_info

if TYPE_CHECKING:
    from torch.utils.data import ConcatDataset


@dataclass(frozen=True)
class Stage:
    """One stage of the run: where its steps sit among all steps, and what its checkpoints describe."""

    name: str
    index: int
    first_step: int   # optimizer steps of the stages before it
    steps: int
    samples: int      # in the plan; steps x global batch of them train, the rest sit out
    data: DataInfo    # the mode, cache tokens, template and special ids its checkpoints record

    @property
    def end(self) -> int:
        return self.first_step + self.steps


@dataclass(frozen=True)
class CurriculumRun:
    """Everything the recipe needs from a built curriculum, checked."""

    directory: Path
    stages: list[Stage]
    data: DataInfo            # the covering build: the tokenizer, its added tokens and their descriptions
    dataset: ConcatDataset    # one ShardDataset per source directory, in order of first use
    lengths: np.ndarray       # int64 [dataset rows]: tokens of each row
    steps: np.ndarray         # int64 [total steps, global batch]: the dataset rows of each optimizer step
    files: dict[str, str]     # plan file (relative to `directory`) -> sha256

    @property
    def total_steps(self) -> int:
        return len(self.steps)

    def stage_at(self, step: int) -> Stage:
        """The stage of optimizer step `step` (0-based)."""
        return next((s for s in self.stages if step < s.end), self.stages[-1])

    def position(self, step: int) -> dict:
        """Where a run `step` steps in stands: the stage of its last step, and that step's place in it."""
        stage = self.stage_at(max(step - 1, 0))
        return {"stage": stage.name, "stage_index": stage.index, "stage_step": step - stage.first_step,
                "stage_steps": stage.steps}

    def changed_files(self, saved: dict | None) -> list[str]:
        """The plan files whose hash differs from `saved` (a checkpoint's record of them)."""
        return [name for name, digest in self.files.items() if (saved or {}).get(name) != digest]


def open_curriculum(directory: str | Path, *, global_batch: int, columns: Sequence[str]) -> CurriculumRun:
    """Read and check a built curriculum; every problem of one kind is reported at once."""
    from torch.utils.data import ConcatDataset

    from ltdata.loading import ShardDataset

    plan = load_curriculum(directory)
    covering = read_data_info([str(plan.tokenizer.parent)])
    directories = list(dict.fromkeys(_key(d) for stage in plan.stages for d in stage.sources))
    manifests = {d: read_manifest(d) for d in directories}
    problems = [p for k, stage in enumerate(plan.stages) for p in _token_problems(k, stage, manifests, covering)]
    if problems:
        raise ConfigError(problems)
    datasets = [ShardDataset(d, columns=columns) for d in directories]
    sizes = {d: len(ds) for d, ds in zip(directories, datasets)}
    offsets = dict(zip(directories, np.cumsum([0] + list(sizes.values())[:-1]).tolist()))
    lengths = np.concatenate([ds.lengths for ds in datasets]).astype(np.int64)
    stages, steps, first = [], [], 0
    for k, stage in enumerate(plan.stages):
        rows = _dataset_rows(k, stage, offsets, sizes, lengths)
        count = len(stage) // global_batch
        if count == 0:
            raise ConfigError(f"global_batch_size: stage {stage.name!r} of {directory} has {len(stage)} samples, "
                              f"fewer than one global batch of {global_batch}")
        steps.append(rows[:count * global_batch].reshape(count, global_batch))
        stages.append(Stage(stage.name, k, first, count, len(stage), _stage_data(k, stage, manifests)))
        first += count
    return CurriculumRun(Path(directory), stages, covering, ConcatDataset(datasets), lengths,
                         np.concatenate(steps), plan_files(directory, plan.summary))


def plan_files(directory: str | Path, summary: dict) -> dict[str, str]:
    """sha256 of curriculum.json and of every stage's order file: the plan a run follows."""
    names = [PLAN_FILE] + [s["file"] for s in summary["stages"]]
    return {name: hashlib.sha256((Path(directory) / name).read_bytes()).hexdigest() for name in names}


def describe(run: CurriculumRun, global_batch: int, *, total_steps: int, epochs: int) -> list[str]:
    """The setup log: per stage its steps, what sits out, its mode and sources; then what is not used."""
    lines = []
    for s in run.stages:
        left = s.samples - s.steps * global_batch
        sources = ", ".join(os.path.relpath(p, run.directory) for p in s.data.paths)
        lines.append(f"stage {s.index + 1}/{len(run.stages)} {s.name!r}: steps {s.first_step + 1}-{s.end} "
                     f"({s.steps} x {global_batch} of {s.samples} samples"
                     f"{f', the last {left} sit out' if left else ''}), {s.data.mode}, from {sources}")
    if total_steps < run.total_steps:
        last = run.stage_at(total_steps - 1)
        lines.append(f"max_steps {total_steps} stops the curriculum in stage {last.name!r} at its step "
                     f"{total_steps - last.first_step} of {last.steps}")
    if epochs != 1:
        lines.append(f"epochs {epochs} is not used: the curriculum's recipe sets each stage's length")
    return lines


def _key(path: str) -> str:
    return os.path.normpath(os.path.abspath(path))


def _token_problems(index: int, stage, manifests: dict[str, dict], covering: DataInfo) -> list[str]:
    """A source may name fewer cache tokens than the covering build, never other ids."""
    cover = covering.special_tokens
    out = []
    for source in stage.sources:
        ids = manifests[_key(source)]["special_tokens"]
        same = all(cover.get(k) == v for k, v in ids.items() if k != "cache") and \
            list(cover.get("cache", []))[:len(ids.get("cache", []))] == list(ids.get("cache", []))
        if not same:
            out.append(f"curriculum: stage {stage.name!r} (stages[{index}]): {source} has special token ids {ids} "
                       f"but the covering tokenizer {covering.tokenizer_dir} has {cover}; every stage must "
                       f"use the covering tokenizer's ids (rebuild the curriculum)")
    return out


def _dataset_rows(index: int, stage, offsets: dict[str, int], sizes: dict[str, int],
                  lengths: np.ndarray) -> np.ndarray:
    """Each plan sample's row in the one dataset, after checking that the shards still hold it."""
    keys = [_key(d) for d in stage.sources]
    which = stage.source.astype(np.int64)
    base = np.array([offsets[k] for k in keys], dtype=np.int64)[which]
    size = np.array([sizes[k] for k in keys], dtype=np.int64)[which]
    outside = (stage.row < 0) | (stage.row >= size)
    rows = base + np.where(outside, 0, stage.row)
    bad = np.flatnonzero(outside | (lengths[rows] != stage.num_tokens))
    if bad.size:
        i = int(bad[0])
        raise SchemaError(f"curriculum: stage {stage.name!r} (stages[{index}]) sample {i}: row {stage.row[i]} of "
                          f"{stage.sources[stage.source[i]]} is not the row its plan names ({stage.num_tokens[i]} "
                          f"tokens; {bad.size} such samples): the source changed after the plan was made; "
                          f"rebuild the curriculum")
    return rows


def _stage_data(index: int, stage, manifests: dict[str, dict]) -> DataInfo:
    """What a stage's checkpoints record: its compressing sources' mode (vanilla if it has none)."""
    by_source = [(source, manifests[_key(source)]) for source in stage.sources]
    templates = {m["tokenizer"]["template"] for _, m in by_source}
    compressing = [(s, m) for s, m in by_source if m["mode"] != "vanilla"] or by_source
    modes = {(m["mode"], m["cache_tokens"], m.get("see_current")) for _, m in compressing}
    problems = []
    if len(templates) > 1:
        problems.append(f"curriculum: stage {stage.name!r} (stages[{index}]) mixes prompt templates "
                        f"{sorted(templates)}; one stage trains one template")
    if len(modes) > 1:
        problems.append(f"curriculum: stage {stage.name!r} (stages[{index}]) mixes compression settings "
                        f"(mode, cache_tokens, see_current) {sorted(modes, key=str)}; its checkpoints can "
                        f"record only one (vanilla sources may be mixed in)")
    if problems:
        raise ConfigError(problems)
    return dataclasses.replace(read_data_info([compressing[0][0]]), paths=list(stage.sources))
