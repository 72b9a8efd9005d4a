"""The tokenizer a configuration names, with the layout's tokens added: loaded once per process.

Loading a large tokenizer and resolving the layout takes seconds, and a notebook calls `layout`,
`build` and `write_shards` many times with one configuration; they all share this cache, keyed by
the options that decide the tokenizer and layout (and a local tokenizer directory's file times, so
an edited tokenizer is loaded again). Callers must not mutate the tokenizer it returns.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from ltdata.config import BuildConfig
from ltdata.sequence.prepare import PreparedLayout

LAYOUT_OPTIONS = ("tokenizer", "mode", "cache_tokens", "template", "system_prompt", "see_current",
                  "exclude_continue", "max_length", "overlong")


@dataclass(frozen=True, slots=True)
class LayoutKey:
    """The options that decide the tokenizer and layout, and the tokenizer files' stamp: the cache key."""

    options: tuple[tuple[str, Any], ...]
    stamp: tuple[tuple[str, int, int], ...] | None

    @classmethod
    def of(cls, cfg: BuildConfig) -> LayoutKey:
        return cls(options=tuple((name, getattr(cfg, name)) for name in LAYOUT_OPTIONS), stamp=_stamp(cfg.tokenizer))


@dataclass(frozen=True)
class Prepared:
    key: LayoutKey
    tokenizer: Any
    layout: PreparedLayout


def prepared(cfg: BuildConfig) -> Prepared:
    """The cached tokenizer and layout for `cfg` (loaded on first use)."""
    return prepared_for(LayoutKey.of(cfg))


@lru_cache(maxsize=8)
def prepared_for(key: LayoutKey) -> Prepared:
    from ltdata.sequence.prepare import prepare_layout
    from ltdata.pipeline.tokenizer import load_tokenizer

    cfg = BuildConfig().replace(**dict(key.options))
    tokenizer = load_tokenizer(cfg.tokenizer)
    return Prepared(key=key, tokenizer=tokenizer, layout=prepare_layout(tokenizer, cfg))


def _stamp(source: str | None) -> tuple[tuple[str, int, int], ...] | None:
    """(name, size, mtime) of a local tokenizer directory's files; None for the bundled one or a hub id."""
    if source is None or not os.path.isdir(source):
        return None
    return tuple((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(Path(source).iterdir())
                 if p.is_file())
