"""`ltdata.build`: plan a build, run its tasks on Dask, and write the manifest last.

The source is input files (the CLI's way: `config.input`) or records held in memory (a polars
DataFrame, a `datasets.Dataset`, an iterable of dicts or `Trace`s), which are staged as slice files
first so both run as the same tasks on the same executor and write the same shards.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ltdata.config import BuildConfig
from ltdata.errors import ConfigError
from ltdata.pipeline.destination import Destination
from ltdata.pipeline.executor import dask_client, run_tasks
from ltdata.pipeline.output import (PLAN_FILE, REJECTS, SOURCES_DIR, check_output, check_plan, clean_working_files,
                                    clear_output, finish, manifest)
from ltdata.pipeline.saved import saved_tokenizer
from ltdata.pipeline.stages import Options, SplitterChoice
from ltdata.pipeline.task import BuildJob, BuildTask, load_part, run_task
from ltdata.pipeline.tokenizer import TOKENIZER_DIR, tokenizer_hash
from ltdata.readers.memory import MEMORY, is_memory_source, stage_records
from ltdata.readers.sources import (SourceSlice, expand_inputs, first_record, input_identity, plan_slices,
                                   read_slice)
from ltdata.records import Trace
from ltdata.sequence.codec import LazyTokenizer
from ltdata.shards.schema import SCHEMA_VERSION

SAMPLE_DATA = Path(__file__).resolve().parents[1] / "sample_data"
# imported by each local worker process as it starts (numpy, pyarrow and tokenizers; never transformers)
WORKER_PRELOAD = ("ltdata.pipeline.task",)
__all__ = ["PLAN_FILE", "REJECTS", "SAMPLE_DATA", "BuildResult", "build"]


@dataclass(frozen=True, slots=True)
class BuildResult:
    output: Path | str          # a local directory, or the URL the build wrote to
    manifest: dict[str, Any]


@dataclass(frozen=True, slots=True)
class _Plan:
    tasks: list[BuildTask]
    inputs: list[dict[str, str]]      # manifest "inputs": path and the format chosen
    names: list[str]                  # manifest config "input"
    identity: list[list[Any]]         # what the fingerprint pins: file stats, or the staged records' hash


def build(source: Any = None, output: str | os.PathLike | None = None, config: BuildConfig | None = None,
          **overrides: Any) -> BuildResult:
    """Build shards from `source` into `output` with `config` (keywords override it, as CLI flags do).

    `source`: file paths, a polars DataFrame, a `datasets.Dataset`, or an iterable of dicts or `Trace`s;
    it replaces `config.input` (whose default, empty, means the bundled sample data). `output` replaces
    `config.output`. `build(cfg)` alone is the CLI's call.
    """
    if isinstance(source, BuildConfig):
        if config is not None:
            raise ConfigError("build: two configurations given; pass the BuildConfig once")
        source, config = None, source
    memory = source is not None and is_memory_source(source)
    cfg = _configure(config, None if memory else source, output, overrides)
    out = Destination.of(cfg.output, cfg.storage_options)
    check_output(out, cfg)
    if memory:                      # the records are staged under the output
        clear_output(out, cfg)
        plan = _plan_memory(source, out, cfg)
    else:                           # inputs that cannot be planned leave the output as it was
        plan = _plan_files(cfg.input or [str(SAMPLE_DATA)], cfg)
        clear_output(out, cfg)
    # the cluster starts first: its worker processes start while the driver prepares the tokenizer
    with dask_client(workers=cfg.workers, processes=cfg.processes, scheduler=cfg.scheduler,
                     preload=WORKER_PRELOAD, tasks=len(plan.tasks)) as client, \
            tempfile.TemporaryDirectory(prefix="ltdata-tokenizer-") as scratch:
        return _run(cfg, out, plan, client, Path(scratch))


def _run(cfg: BuildConfig, out: Destination, plan: _Plan, client, scratch: Path) -> BuildResult:
    """Prepare the layout, check the plan against a previous run, run the missing tasks, finish."""
    saved = saved_tokenizer(cfg, scratch=scratch / TOKENIZER_DIR)
    # a bad plugin fails here, once; the tokenizer loads only for a splitter that uses it
    splitter = SplitterChoice.from_config(cfg)
    splitter.make(LazyTokenizer(saved.directory))
    tok_hash = tokenizer_hash(saved.directory)
    fingerprint = _fingerprint(cfg, plan.identity, tok_hash)
    finished = check_plan(out, cfg, fingerprint)
    if finished is not None:
        clean_working_files(out)
        return BuildResult(output=out.shown_as, manifest=finished)
    out.put_tree(saved.directory, TOKENIZER_DIR)     # before any task: workers load it from here

    job = BuildJob(key=fingerprint, output=out.absolute(), splitter=splitter, fields=Options.of(cfg.fields),
                   layout=saved.settings, on_error=cfg.on_error, specials=saved.specials if saved.rust else None,
                   storage_options=Options.of(cfg.storage_options))
    results = {t.index: r for t in plan.tasks if (r := load_part(out, t.index)) is not None}
    todo = [t for t in plan.tasks if t.index not in results]
    for result in run_tasks(client, run_task, todo, progress=cfg.progress, description="ltdata build", job=job):
        results[result.index] = result
    ordered = [results[t.index] for t in plan.tasks]
    data = manifest(cfg, plan.inputs, plan.names, ordered, fingerprint=fingerprint, tokenizer_source=cfg.tokenizer,
                    tok_hash=tok_hash, prepared=saved)
    finish(out, ordered, data)
    return BuildResult(output=out.shown_as, manifest=data)


def _configure(config: BuildConfig | None, paths: Any, output: str | os.PathLike | None,
               overrides: dict[str, Any]) -> BuildConfig:
    """`config` with the keywords, the output and the input paths (if the source is files) applied."""
    changes = dict(overrides)
    if output is not None:
        changes["output"] = os.fspath(output)
    if paths is not None:
        changes["input"] = [os.fspath(paths)] if isinstance(paths, (str, os.PathLike)) else list(map(os.fspath, paths))
    return (config or BuildConfig()).replace(**changes) if changes else (config or BuildConfig())


def _plan_files(inputs: list[str], cfg: BuildConfig) -> _Plan:
    """One task per slice of `shard_size` records; the format is chosen once per file."""
    options = cfg.storage_options
    formats: dict[str, str] = {}
    for path, kind in expand_inputs(inputs, storage_options=options):
        raw = first_record(path, kind, storage_options=options) if cfg.format == "auto" else None
        formats[path] = _format_name(cfg, raw, path, empty=cfg.format == "auto" and raw is None)
    pieces = plan_slices(inputs, cfg.shard_size, storage_options=options)
    identity = input_identity(list(formats), storage_options=options)
    return _Plan(tasks=[BuildTask(index=i, piece=p, format_name=formats[p.path]) for i, p in enumerate(pieces)],
                 inputs=[{"path": p, "format": f} for p, f in formats.items()], names=inputs, identity=identity)


def _plan_memory(source: Any, output: Destination, cfg: BuildConfig) -> _Plan:
    """Stage the records in slices of `shard_size` under the output, where every worker finds them; one task per slice."""
    from ltdata.readers.formats.trace import TRACE_FORMAT, check_trace_options

    output.remove(SOURCES_DIR)
    if output.remote:
        with tempfile.TemporaryDirectory(prefix="ltdata-sources-") as scratch:
            slices, digest = stage_records(source, Path(scratch), cfg.shard_size)
            output.put_tree(Path(scratch), SOURCES_DIR)
        slices = [(output.absolute().join(f"{SOURCES_DIR}/{Path(path).name}"), start, stop)
                  for path, start, stop in slices]
    else:
        slices, digest = stage_records(source, output.local_path / SOURCES_DIR, cfg.shard_size)
    pieces = [SourceSlice(path=path, kind="memory", start=start, stop=stop) for path, start, stop in slices]
    raw = next(read_slice(pieces[0], storage_options=cfg.storage_options), None) if pieces else None
    if raw is not None and raw.error is None and isinstance(raw.value, Trace):
        check_trace_options(cfg.format, cfg.fields)
        shown, task_format = "trace", TRACE_FORMAT
    else:
        raw = raw if cfg.format == "auto" else None
        shown = task_format = _format_name(cfg, raw, MEMORY, empty=cfg.format == "auto" and raw is None)
    return _Plan(tasks=[BuildTask(index=i, piece=p, format_name=task_format) for i, p in enumerate(pieces)],
                 inputs=[{"path": MEMORY, "format": shown}], names=[MEMORY], identity=[[MEMORY, digest]])


def _format_name(cfg: BuildConfig, raw, where: str, *, empty: bool) -> str:
    """`cfg.format` (checked), or for `auto` the format detected from the first record."""
    from ltdata.readers.formats import detect_format

    if cfg.format != "auto":
        _check_format(cfg.format, cfg)
        return cfg.format
    if empty:
        return "empty"
    if raw.error is not None:
        raise raw.error
    name = detect_format(raw.value, raw.origin, fields=cfg.fields).name
    if cfg.progress:
        print(f"ltdata: {where}: format auto -> {name}", file=sys.stderr)
    return name


def _check_format(name: str, cfg: BuildConfig) -> None:
    from ltdata.readers.formats import resolve_format

    resolve_format(name, fields=cfg.fields)


def _fingerprint(cfg: BuildConfig, identity: list[list[Any]], tok_hash: str) -> str:
    payload = json.dumps({"schema": SCHEMA_VERSION, "settings": cfg.plan_settings(), "inputs": identity,
                          "tokenizer": tok_hash}, sort_keys=True, default=str)
    return "sha256:" + hashlib.sha256(payload.encode()).hexdigest()
