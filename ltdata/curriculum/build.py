"""Build a curriculum: every stage's data (identical builds made once), then each stage's sample order.

Output layout: `builds/<key>/` one ltdata build per distinct set of build settings (the key hashes
them, so two stages asking for the same data share it and a re-run reuses finished builds),
`stages/NN-<name>.arrow` the order of each stage (source, row, num_tokens), and `curriculum.json`,
written last, which names the sources, counts and the tokenizer that covers every build. A `shards:`
source at a URL is read from its local copy in ltdata's cache, and the plan names it by its URL, so
the curriculum stays valid wherever it is loaded (the copy is fetched again where it is missing).
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np
import pyarrow as pa
import pyarrow.ipc as ipc

from ltdata.atomic import atomic_path
from ltdata.config import BuildConfig
from ltdata.curriculum.plan import StagePlan, needs_derived, plan_stage, select, source_frame
from ltdata.curriculum.recipe import Curriculum, SourceSpec
from ltdata.errors import ConfigError, SchemaError
from ltdata.shards.manifest import write_json_atomic
from ltdata.shards.reader import read_manifest, read_table
from ltdata.shards.remote import local_build
from ltdata.shards.schema import MANIFEST
from ltdata.storage import is_url, shown

PLAN_FILE = "curriculum.json"
PLAN_VERSION = 1
STAGE_SCHEMA = pa.schema([pa.field("source", pa.int16(), nullable=False), pa.field("row", pa.int64(), nullable=False),
                          pa.field("num_tokens", pa.int64(), nullable=False)])


@dataclass(frozen=True)
class CurriculumPlan:
    """A built curriculum: its stages in order and the tokenizer every stage can be trained with."""

    directory: Path
    stages: list[StagePlan]
    tokenizer: Path
    summary: dict[str, Any]


def build_curriculum(curriculum: Curriculum, *, workers: int | None = None, processes: bool = True,
                     scheduler: str | None = None, progress: bool = True,
                     storage_options: Mapping[str, Any] | None = None) -> CurriculumPlan:
    """Build (or reuse) every source's shards, plan each stage, and write the plan last.

    `storage_options` reach the fsspec filesystems of URL inputs and of `shards:` URLs.
    """
    output = Path(curriculum.output)
    if output.exists() and any(output.iterdir()) and not ((output / PLAN_FILE).exists() or (output / "builds").exists()):
        raise ConfigError(f"curriculum.output: {output} is not empty and holds no curriculum; choose another")
    runtime = {"workers": workers, "processes": processes, "scheduler": scheduler, "progress": progress,
               "storage_options": dict(storage_options or {})}
    directories: dict[int, list[str]] = {}
    urls: dict[str, str] = {}               # local copy -> the URL of a `shards:` source
    for i, stage in enumerate(curriculum.stages):
        directories[i] = [_source_directory(curriculum, source, output, runtime, urls) for source in stage.sources]
    stages = [_plan(curriculum, i, directories[i]) for i in range(len(curriculum.stages))]
    tokenizer = _covering_tokenizer(sorted({d for ds in directories.values() for d in ds}))
    (output / "stages").mkdir(parents=True, exist_ok=True)
    files = [_write_stage(output, i, plan) for i, plan in enumerate(stages)]
    named = lambda path: _named(path, output, urls)   # noqa: E731
    summary = {"version": PLAN_VERSION, "seed": curriculum.seed, "tokenizer": named(tokenizer),
               "stages": [_stage_summary(curriculum, i, plan, f, named)
                          for i, (plan, f) in enumerate(zip(stages, files))]}
    write_json_atomic(output / PLAN_FILE, summary)
    return CurriculumPlan(output, stages, tokenizer, summary)


def load_curriculum(directory: str | Path) -> CurriculumPlan:
    """Read a built curriculum back: the same orders the build wrote, on any machine or rank."""
    directory = Path(directory)
    try:
        summary = json.loads((directory / PLAN_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SchemaError(f"{directory}: no {PLAN_FILE} (not a built curriculum)") from None
    if summary.get("version") != PLAN_VERSION:
        raise SchemaError(f"{directory / PLAN_FILE}: plan version {summary.get('version')} is not {PLAN_VERSION}")
    stages = []
    for stage in summary["stages"]:
        table = read_table(directory / stage["file"])
        sources = tuple(str(_located(directory, s["directory"])) for s in stage["sources"])
        stages.append(StagePlan(stage["name"], sources, table["source"].to_numpy(), table["row"].to_numpy(),
                                table["num_tokens"].to_numpy()))
    tokenizer = summary["tokenizer"]
    if is_url(tokenizer):                   # <build URL>/tokenizer
        build_url, _, name = tokenizer.rpartition("/")
        return CurriculumPlan(directory, stages, local_build(build_url) / name, summary)
    return CurriculumPlan(directory, stages, directory / tokenizer, summary)


def _located(directory: Path, name: str) -> Path:
    """A source of the plan as a local path: relative to the curriculum, or a build's URL (its local copy)."""
    return local_build(name) if is_url(name) else directory / name


def _named(path: str | Path, output: Path, urls: dict[str, str]) -> str:
    """How the plan names a local path: by the URL of the build it was copied from, else relative to `output`."""
    for local, url in urls.items():
        if Path(path).is_relative_to(local):
            inside = Path(path).relative_to(local).as_posix()
            return url if inside == "." else f"{url}/{inside}"
    return _relative(Path(path), output)


def build_key(cfg: BuildConfig) -> str:
    """Names a build by the settings that decide its bytes, so equal requests share one directory."""
    payload = json.dumps(cfg.plan_settings(), sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:12]


def _source_directory(curriculum: Curriculum, source: SourceSpec, output: Path, runtime: dict,
                      urls: dict[str, str]) -> str:
    if source.shards is not None:
        local = local_build(source.shards, runtime["storage_options"], progress=runtime["progress"])
        read_manifest(local)
        if is_url(source.shards):
            urls[str(local)] = shown(source.shards).rstrip("/")
        return str(local)
    from ltdata.pipeline.build import build

    cfg = curriculum.build_config(source, **runtime)
    directory = output / "builds" / build_key(cfg)
    reused = (directory / MANIFEST).exists()
    if runtime["progress"]:
        print(f"ltdata: curriculum build {directory} ({'reused' if reused else 'building'})", file=sys.stderr)
    try:
        build(cfg.replace(output=str(directory), resume=True))
    except ConfigError as exc:
        raise ConfigError(f"curriculum: {directory}: {exc} (its inputs changed since it was built: "
                          f"delete that directory to rebuild it)") from None
    return str(directory)


def _plan(curriculum: Curriculum, index: int, directories: list[str]) -> StagePlan:
    stage = curriculum.stages[index]
    derived = needs_derived(stage)
    frames = [select(source_frame(d, derived=derived), stage.where) for d in directories]
    return plan_stage(stage, index, directories, frames, seed=curriculum.seed)


def _covering_tokenizer(directories: list[str]) -> Path:
    """The largest tokenizer among the builds, after checking that they agree on every shared token id."""
    from transformers import AutoTokenizer

    vocabularies = [(d, AutoTokenizer.from_pretrained(str(Path(d) / "tokenizer")).get_vocab()) for d in directories]
    widest_dir, widest = max(vocabularies, key=lambda pair: len(pair[1]))
    for directory, vocab in vocabularies:
        clashes = [t for t, i in vocab.items() if widest.get(t) != i]
        if clashes:
            raise ConfigError(f"curriculum: the tokenizers of {directory} and {widest_dir} disagree on "
                              f"{len(clashes)} token(s), e.g. {clashes[0]!r}: every stage must use one base tokenizer")
    return Path(widest_dir) / "tokenizer"


def _write_stage(output: Path, index: int, plan: StagePlan) -> Path:
    path = output / "stages" / f"{index:02d}-{_slug(plan.name)}.arrow"
    table = pa.table({"source": plan.source, "row": plan.row, "num_tokens": plan.num_tokens}, schema=STAGE_SCHEMA)
    with atomic_path(path) as temporary, ipc.new_file(str(temporary), STAGE_SCHEMA) as writer:
        writer.write_table(table)
    return path


def _stage_summary(curriculum: Curriculum, index: int, plan: StagePlan, file: Path,
                   named: Callable[[str | Path], str]) -> dict:
    spec = curriculum.stages[index]
    per_source = [{"directory": named(d), "weight": s.weight,
                   "samples": int(np.count_nonzero(plan.source == k)),
                   "tokens": int(plan.num_tokens[plan.source == k].sum())}
                  for k, (d, s) in enumerate(zip(plan.sources, spec.sources))]
    return {"name": plan.name, "file": named(file), "samples": len(plan), "tokens": plan.tokens,
            "epochs": spec.epochs, "token_budget": spec.tokens, "order": spec.order,
            "sort_by": spec.sort_by if spec.order == "sort" else None, "sources": per_source}


def _relative(path: Path, base: Path) -> str:
    return os.path.relpath(path, base)


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in name)


def remove_curriculum(output: Path) -> None:
    """--overwrite for a curriculum: delete only what a curriculum build writes."""
    if not ((output / PLAN_FILE).exists() or (output / "builds").exists()):
        raise ConfigError(f"overwrite: {output} does not look like a curriculum output; remove it yourself")
    shutil.rmtree(output)
