"""`ltdata.write_shards`: shards and a manifest from `Example`s made anywhere, each checked first.

A third-party generator (or a hand-edited sample) becomes data every ltdata consumer accepts: the
examples are validated against the schema and layout rules (`shards.validate`) and written exactly as
`build` writes its own (same shard boundaries per `shard_size` examples, manifest, tokenizer dir and
rejects), so a build's rows written back give byte-identical shards.
"""
from __future__ import annotations

import copy
import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace
from itertools import chain, count, islice
from pathlib import Path
from typing import Any

from ltdata.config import BuildConfig
from ltdata.errors import ConfigError
from ltdata.sequence.builder import Layouter
from ltdata.sequence.prepare import PreparedLayout, prepare_layout
from ltdata.sequence.special_tokens import SpecialTokenIds
from ltdata.pipeline.build import BuildResult
from ltdata.pipeline.destination import Destination
from ltdata.pipeline.output import PLAN_FILE, finish, manifest, prepare_output
from ltdata.pipeline.prepared import prepared
from ltdata.pipeline.stages import Rejects, TaskResult
from ltdata.pipeline.tokenizer import TOKENIZER_DIR, load_tokenizer, tokenizer_hash
from ltdata.records import Example
from ltdata.shards.schema import SCHEMA_VERSION
from ltdata.shards.validate import ExampleError, Rules, check_example
from ltdata.shards.writer import write_shard

EXAMPLES = "<examples>"


def write_shards(examples: Iterable[Example], output: str | os.PathLike, config: BuildConfig | None = None, *,
                 tokenizer: Any = None, special_tokens: Mapping[str, Any] | None = None,
                 **overrides: Any) -> BuildResult:
    """Validate `examples` and write them as shards + manifest to `output`, as `build` would.

    `tokenizer`: an object or a path (default: `config.tokenizer`); ltdata's tokens are added to a copy
    as a build adds them, and the examples must use their ids, unless `special_tokens` (the manifest's
    `{"splitter", "continue", "cache": [...], "eos"}`) names ids the tokenizer already has. Invalid
    examples raise `SchemaError` (`ExampleError`), or with `on_error="skip"` go to rejects.jsonl.
    """
    cfg = (config or BuildConfig()).replace(output=os.fspath(output), **overrides)
    if cfg.resume:
        raise ConfigError("resume: write_shards writes from an iterable and cannot resume; use overwrite=True")
    out = Destination.of(cfg.output, cfg.storage_options)
    prepare_output(out, cfg)
    source, loaded, layout = _tokenizer(tokenizer, cfg, special_tokens)
    with tempfile.TemporaryDirectory(prefix="ltdata-tokenizer-") as scratch:
        loaded.save_pretrained(scratch)
        tok_hash = tokenizer_hash(Path(scratch))
        out.write_json(PLAN_FILE, {"fingerprint": "write_shards"})     # marks the directory as ours
        out.put_tree(Path(scratch), TOKENIZER_DIR)

    rules = Rules(ids=layout.settings.ids, mode=layout.settings.mode, vocab_size=len(loaded),
                  max_length=cfg.max_length)
    results, digest = _write(examples, out, cfg, rules)
    payload = json.dumps({"schema": SCHEMA_VERSION, "settings": cfg.plan_settings(), "tokenizer": tok_hash,
                          "shards": digest}, sort_keys=True)
    fingerprint = "sha256:" + hashlib.sha256(payload.encode()).hexdigest()
    data = manifest(cfg, [{"path": EXAMPLES, "format": "examples"}], [EXAMPLES], results, fingerprint=fingerprint,
                    tokenizer_source=source, tok_hash=tok_hash, prepared=layout)
    finish(out, results, data)
    return BuildResult(output=out.shown_as, manifest=data)


def _tokenizer(tokenizer: Any, cfg: BuildConfig,
               special_tokens: Mapping[str, Any] | None) -> tuple[str | None, Any, PreparedLayout]:
    """(source named in the manifest, tokenizer to save, layout the examples are checked against)."""
    named = tokenizer is None or isinstance(tokenizer, (str, os.PathLike))
    source = (os.fspath(tokenizer) if tokenizer is not None else cfg.tokenizer) if named else (
        getattr(tokenizer, "name_or_path", None) or None)
    if named and special_tokens is None:            # what build loads, from the same cache
        current = prepared(cfg.replace(tokenizer=source))
        return source, current.tokenizer, current.layout
    loaded = load_tokenizer(source) if named else copy.deepcopy(tokenizer)     # never change the caller's
    if special_tokens is None:
        return source, loaded, prepare_layout(loaded, cfg)
    return source, loaded, _explicit_ids(loaded, cfg, special_tokens)


def _explicit_ids(tokenizer, cfg: BuildConfig, special_tokens: Mapping[str, Any]) -> PreparedLayout:
    """The layout for a tokenizer that has its own control tokens at the given ids (none are added)."""
    try:
        ids = SpecialTokenIds.from_manifest(dict(special_tokens))
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"special_tokens: expected {{'splitter', 'continue', 'cache': [...], 'eos'}}, "
                          f"got {special_tokens!r} ({type(exc).__name__}: {exc})") from None
    named = [("splitter", ids.splitter), ("continue", ids.continue_), ("eos", ids.eos),
             *((f"cache[{k}]", c) for k, c in enumerate(ids.cache))]
    wrong = [f"{k}={v!r}" for k, v in named if isinstance(v, bool) or not isinstance(v, int)
             or not 0 <= v < len(tokenizer)]
    if wrong or not ids.cache:
        raise ConfigError(f"special_tokens: ids must be token ids of the tokenizer (0..{len(tokenizer) - 1}) "
                          f"and cache must not be empty; got {', '.join(wrong) or 'cache=[]'}")
    n = len(ids.cache)
    if cfg.cache_tokens not in (None, n) or (cfg.mode == "anllm" and n != 1):
        raise ConfigError(f"cache_tokens: special_tokens has {n} cache ids but the configuration asks for "
                          f"{1 if cfg.mode == 'anllm' else cfg.cache_tokens}")
    # The template and mask settings resolve as in a build (on a scratch copy, which gets ltdata's
    # tokens); the ids are the caller's, and the tokenizer written is theirs, unchanged.
    scratch = prepare_layout(copy.deepcopy(tokenizer), cfg.replace(cache_tokens=None if cfg.mode == "anllm" else n))
    settings = replace(scratch.settings, ids=ids)
    return PreparedLayout(layouter=Layouter(tokenizer, settings), family=scratch.family, added_tokens=[])


def _write(examples: Iterable[Example], out: Destination, cfg: BuildConfig,
           rules: Rules) -> tuple[list[TaskResult], str]:
    """Shard k holds the valid examples among inputs k*S .. (k+1)*S-1, as a build's task k would."""
    rejects = Rejects(on_error=cfg.on_error)
    results = [TaskResult(index=-1, rejects=rejects)]      # the rejects of every shard, listed once
    digest = hashlib.sha256()
    numbered = enumerate(examples)
    for index in count():
        chunk = islice(numbered, cfg.shard_size)
        first = next(chunk, None)
        if first is None:
            break
        result = TaskResult(index=index)
        name = f"shard-{index:05d}.arrow"
        with out.staged(name) as shard:
            result.rows, result.tokens = write_shard(shard, _valid(chain([first], chunk), rules, result, rejects))
            if result.rows:
                digest.update(shard.read_bytes())
            else:
                shard.unlink()
        result.shard = name if result.rows else None
        results.append(result)
    return results, digest.hexdigest()


def _valid(numbered: Iterable[tuple[int, Example]], rules: Rules, result: TaskResult,
           rejects: Rejects) -> Iterator[Example]:
    for index, example in numbered:
        result.read += 1
        try:
            checked = check_example(example, rules, index=index)
        except ExampleError as error:
            rejects.add(error)
            continue
        result.truncated += checked.truncated
        yield checked
