"""From a tokenizer and a `BuildConfig` to a ready `Layouter`: one place decides n, template and ids.

`build()` and the one-sample `ltdata.layout()` both go through here, so a sample inspected in a
notebook is laid out exactly as the shards are.
"""
from __future__ import annotations

from dataclasses import dataclass

from ltdata.config import BuildConfig
from ltdata.sequence.builder import Layouter, LayoutSettings
from ltdata.sequence.special_tokens import (SpecialTokenIds, add_special_tokens, default_cache_tokens,
                                            special_token_ids, tokenizer_family)
from ltdata.sequence.template import PromptTemplate, resolve_template


@dataclass(frozen=True)
class PreparedLayout:
    layouter: Layouter
    family: str | None
    added_tokens: list[str]

    @property
    def settings(self) -> LayoutSettings:
        return self.layouter.settings


def prepare_layout(tokenizer, cfg: BuildConfig) -> PreparedLayout:
    """Add the layout's tokens to `tokenizer` (in place) and resolve every layout setting."""
    family = tokenizer_family(tokenizer)
    n_cache = 1 if cfg.mode == "anllm" else (cfg.cache_tokens or default_cache_tokens(tokenizer))
    template = resolve_template(cfg.template, tokenizer)
    added = add_special_tokens(tokenizer, n_cache)
    settings = layout_settings(cfg, n_cache=n_cache, template=template,
                               ids=special_token_ids(tokenizer, n_cache, template.eos_token))
    return PreparedLayout(layouter=Layouter(tokenizer, settings), family=family, added_tokens=added)


def layout_settings(cfg: BuildConfig, *, n_cache: int, template: PromptTemplate, ids: SpecialTokenIds) -> LayoutSettings:
    """The layout options of `cfg` with what the tokenizer decided (a build's driver reads those from disk)."""
    return LayoutSettings(mode=cfg.mode, n_cache=n_cache, see_current=cfg.see_current_effective,
                          exclude_continue=cfg.exclude_continue, max_length=cfg.max_length, overlong=cfg.overlong,
                          template=template, system_prompt=cfg.system_prompt, ids=ids)
