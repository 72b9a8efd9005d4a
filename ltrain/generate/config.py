"""`GenerationConfig`: how `ltrain generate` (and `ltrain eval`, which composes it) decodes, checked once.

Each field's help text is the `--help` line of the matching flag of both commands, so an option is
documented in one place. Cross-field problems are all reported at once, each naming its flag.
"""
from __future__ import annotations

import typing
from dataclasses import dataclass
from typing import Literal

from ltdata.typed_config import TypedConfig, option

Method = Literal["lightthinker", "anllm", "vanilla", "h2o", "lightthinker-nocache"]
METHODS: tuple[str, ...] = typing.get_args(Method)


@dataclass
class GenerationConfig(TypedConfig):
    """Decoding method, budget and sampling for `Generator`."""

    method: Method = option("lightthinker", "lightthinker: compress each thought at <|splitter|>; anllm: drop "
                                          "each thought after its anchor; vanilla: keep everything; h2o: "
                                          "heavy-hitter + recent window within --kv-budget; lightthinker-nocache: "
                                          "an ablation, not a method to deploy: lightthinker that also hides "
                                          "each block's cache tokens from its <|continue|> on (does the "
                                          "information flow through them?)")
    max_new_tokens: int = option(10240, "most tokens the model may emit per prompt (forced blocks not counted)")
    do_sample: bool = option(False, "sample instead of greedy argmax")
    temperature: float = option(1.0, "sampling temperature")
    top_p: float = option(1.0, "nucleus sampling: keep the smallest set of tokens whose probability reaches it")
    seed: int | None = option(None, "sampling seed (row i of a call uses seed + i); None = unseeded")
    kv_budget: int | None = option(None, "h2o only: KV entries a token may attend to, itself included")
    kv_recent: int | None = option(None, "h2o only: how many of them are the most recent tokens; None = half")
    see_current: bool | None = option(None, "cache tokens see only their own thought; None = the checkpoint's "
                                          "setting, else the method's (on for anllm, off for lightthinker)")
    batch_size: int = option(8, "prompts decoded together (left-padded, one KV cache)")

    def problems(self) -> list[str]:
        out = []
        if self.method not in METHODS:
            out.append(f"method: must be one of {', '.join(METHODS)}, got {self.method!r}")
        for name in ("max_new_tokens", "batch_size"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                out.append(f"{name}: must be a positive integer, got {getattr(self, name)!r}")
        if not self.temperature > 0:
            out.append(f"temperature: must be > 0, got {self.temperature}")
        if not 0 < self.top_p <= 1:
            out.append(f"top_p: must be in (0, 1], got {self.top_p}")
        if self.method == "h2o":
            if self.kv_budget is None or self.kv_budget < 2:
                out.append(f"kv_budget: h2o needs a budget of at least 2 KV entries, got {self.kv_budget}")
            elif self.kv_recent is not None and not 1 <= self.kv_recent < self.kv_budget:
                out.append(f"kv_recent: must be in [1, kv_budget), got {self.kv_recent}")
        elif self.kv_budget is not None or self.kv_recent is not None:
            out.append(f"kv_budget/kv_recent: only the h2o method has a KV budget (method is {self.method!r})")
        return out

    @property
    def recent_window(self) -> int:
        """h2o: the recent tokens always kept (the rest of the budget goes to heavy hitters)."""
        assert self.kv_budget is not None
        return self.kv_recent if self.kv_recent is not None else max(1, self.kv_budget // 2)
