"""The tokenizer a configuration names, with the layout's tokens added: loaded once per process.

Loading a large tokenizer and resolving the layout takes seconds, and a notebook calls `layout`,
`build` and `write_shards` many times with one configuration; they all share this cache, keyed by
the options that decide the tokenizer and layout (and a local tokenizer directory's file times, so
an edited tokenizer is loaded again). Callers must not mutate the tokenizer it returns.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from ltdata.config import BuildConfig
from ltdata.sequence.prepare import PreparedLayout

LAYOUT_OPTIONS = ("tokenizer", "mode", "cache_tokens", "template", "system_prompt", "see_current",
                  "exclude_continue", "max_length", "overlong")


@dataclass(frozen=True)
class Prepared:
    key: str
    tokenizer: Any
    layout: PreparedLayout


def prepared_key(cfg: BuildConfig) -> str:
    values = cfg.to_dict()
    return json.dumps({**{name: values[name] for name in LAYOUT_OPTIONS}, "stamp": _stamp(cfg.tokenizer)},
                      sort_keys=True)


def prepared(cfg: BuildConfig) -> Prepared:
    """The cached tokenizer and layout for `cfg` (loaded on first use)."""
    return prepared_from_key(prepared_key(cfg))


@lru_cache(maxsize=8)
def prepared_from_key(key: str) -> Prepared:
    from ltdata.sequence.prepare import prepare_layout
    from ltdata.pipeline.tokenizer import load_tokenizer

    options = {k: v for k, v in json.loads(key).items() if k != "stamp"}
    cfg = BuildConfig.from_dict(options)
    tokenizer = load_tokenizer(cfg.tokenizer)
    return Prepared(key=key, tokenizer=tokenizer, layout=prepare_layout(tokenizer, cfg))


def _stamp(source: str | None) -> list[list[Any]] | None:
    """(name, size, mtime) of a local tokenizer directory's files; None for the bundled one or a hub id."""
    if source is None or not os.path.isdir(source):
        return None
    return [[p.name, p.stat().st_size, p.stat().st_mtime_ns] for p in sorted(Path(source).iterdir()) if p.is_file()]
