"""The typed records that flow through the pipeline: `Trace` in, `Example` out.

A `Trace` is format-independent text (what any reader produces); an `Example` is the laid-out token
sequence with the per-token columns a shard stores. Keeping both plain dataclasses makes every step
testable without files.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

import numpy as np

from ltdata.errors import Origin


class Role(IntEnum):
    """What each token is; stored per token in the `role` column (int8)."""

    PAD = 0
    PROMPT = 1      # chat-templated system + user turn; never trained
    THOUGHT = 2     # reasoning text that gets compressed
    SPLITTER = 3    # <|splitter|>: ends a thought, trained (the model learns when to compress)
    CACHE = 4       # <|o_i|>: learned cache tokens; in anllm mode the trained anchor
    CONTINUE = 5    # <|continue|>: generation resumes here; never trained
    ANSWER = 6      # uncompressed output text (the opening marker, the final solution); trained
    EOS = 7         # end of the assistant turn; trained


@dataclass(slots=True)
class Trace:
    """One reasoning sample as text.

    The assistant output is `preamble + reasoning + answer`, exactly; only `reasoning` is split into
    thoughts and compressed. `thoughts`, when given, is a hand-made split used as is (its parts must
    concatenate to `reasoning`, which is filled in from them when empty).
    """

    prompt: str
    reasoning: str = ""
    answer: str = ""
    system: str | None = None
    preamble: str = ""
    thoughts: list[str] | None = None
    record_id: str | None = None
    origin: Origin | None = None

    def __post_init__(self) -> None:
        if self.thoughts is not None and not self.reasoning:
            self.reasoning = "".join(self.thoughts)

    @property
    def output(self) -> str:
        """The full assistant text that the example's output tokens decode to."""
        return self.preamble + self.reasoning + self.answer


@dataclass(slots=True)
class Example:
    """A laid-out training sample: one row of a shard.

    Mask encoding (see `ltdata.masks`): query i may attend key j iff
    `attend_from[i] <= j <= i and i < visible_until[j]`. Values are relative to the example's
    first token, and `visible_until == len` means "visible to the end".
    """

    record_id: str
    input_ids: np.ndarray        # int32 [L]
    labels: np.ndarray           # int32 [L], -100 = no loss
    position_ids: np.ndarray     # int32 [L]
    attend_from: np.ndarray      # int32 [L]
    visible_until: np.ndarray    # int32 [L]
    role: np.ndarray             # int8  [L], values of `Role`
    thought_index: np.ndarray    # int16 [L], the thought a token belongs to, -1 outside thoughts
    source: str = ""
    truncated: bool = False
    # the tokenizer whose ids these are, when known (`ltdata.layout` sets it, so `ltdata.explain` needs
    # no tokenizer argument); never written to a shard
    tokenizer: Any = field(default=None, repr=False, compare=False)

    def __len__(self) -> int:
        return int(self.input_ids.shape[0])

    @property
    def num_thoughts(self) -> int:
        return int(self.thought_index.max()) + 1 if len(self) else 0
