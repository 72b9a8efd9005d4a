"""`balanced`: thoughts cut where the reasoning turns, at lengths a cache can pay for.

Paragraphs are a reasoning model's steps but run from two tokens to thousands, and sentences are
finer still. This splitter picks, among paragraph and sentence ends, the cuts that minimise the cost
in `BalancedSplitter`'s docstring, by dynamic programming: deterministic, no model, one tokenizer pass.
"""
from __future__ import annotations

import math
import re
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from ltdata.errors import ConfigError
from ltdata.splitters.base import Span
from ltdata.splitters.merge import spans_from_cuts
from ltdata.splitters.thought import check_length, paragraph_cuts
from ltdata.splitters.tokencount import check_tokenizer, token_offsets

SENTENCE = re.compile(r"[.!?]\s+")
# Where reasoning models change course or move on: reflection and transition words opening a segment.
MARKER = re.compile(r"[^\S\n]*(?:\*\*|#+ )?(?:Wait|But|Alternatively|Let me|Let's|So|Hmm|However|Actually|Hold on|"
                    r"On second thought|Instead|Now|Okay|Therefore|Oh)\b")
PARAGRAPH, SENTENCE_END, MARKER_BONUS = 1.0, 0.4, 1.0
OUT_OF_BAND = 4.0


@dataclass(frozen=True, slots=True, kw_only=True)
class BalancedSplitter:
    """Paragraph and sentence ends chosen by dynamic programming for strong cuts and even lengths.

    Candidate cuts: after each blank-line run (a paragraph break) and after `[.!?]` + whitespace
    inside a paragraph (a sentence end); the whitespace stays with the earlier thought. Among all
    choices of cuts, giving segments of n_1 .. n_m tokens with cuts b_1 .. b_{m-1}, it returns one of
    least cost

        sum_k length(n_k) - sum_k strength(b_k)
        length(n)   = ln(n / T)^2 + 4 * (max(0, K - n) / K + max(0, n - M) / M)
        strength(b) = 1.0 at a paragraph break, 0.4 at a sentence end,
                      + 1.0 if the next segment opens with a discourse marker (Wait, But, Alternatively,
                        Let me, Let's, So, Hmm, However, Actually, Hold on, On second thought, Instead,
                        Now, Okay, Therefore, Oh; after optional indentation, `**` or a heading mark)

    so a sentence end before "Wait" (1.4) beats a paragraph break (1.0), which beats a sentence end;
    lengths are drawn towards T tokens (strong cuts pull them below it: T = 96 gives a median near
    60 tokens on the vendored traces), with a steep price for leaving the band [K, M]. T is
    target_tokens (default 96); K and M are the build's min_thought_tokens and max_thought_tokens
    (which also hold as hard limits afterwards), else T // 3 and 3 * T; T is clamped into [K, M].
    Lengths come from one encoding of the whole text (a token counts in the segment where it ends).
    Ties go to the shorter last segment. Needs the build's (fast) tokenizer.
    """

    target_tokens: int = 96
    tokenizer: Any = field(repr=False)
    min_thought_tokens: int | None = None
    max_thought_tokens: int | None = None

    def __post_init__(self) -> None:
        check_length("target_tokens", self.target_tokens, optional=False)
        check_tokenizer(self.tokenizer, needed_by="splitter 'balanced'")

    @property
    def band(self) -> tuple[int, int, int]:
        """(K, T, M) as used in the cost."""
        low = self.min_thought_tokens or max(1, self.target_tokens // 3)
        high = self.max_thought_tokens or max(low, 3 * self.target_tokens)
        if low > high:
            raise ConfigError(f"min_thought_tokens: must not exceed max_thought_tokens, got {low} > {high}")
        return low, min(max(self.target_tokens, low), high), high

    def split(self, text: str) -> list[Span]:
        cuts, strengths = candidate_cuts(text)
        if not cuts:
            return spans_from_cuts([], len(text))
        ends = sorted(end for _, end in token_offsets(self.tokenizer, text))
        positions = [0, *cuts, len(text)]
        tokens = [bisect_right(ends, p) for p in positions]
        tokens[-1] = len(ends)
        chosen = best_cuts(tokens, [0.0, *strengths, 0.0], *self.band)
        return spans_from_cuts([positions[k] for k in chosen], len(text))


def candidate_cuts(text: str) -> tuple[list[int], list[float]]:
    """Sorted cut positions strictly inside the text, and the strength of each (see BalancedSplitter)."""
    paragraphs = paragraph_cuts(text)
    first, last = len(text) - len(text.lstrip()), len(text.rstrip())
    kinds = dict.fromkeys(paragraphs, PARAGRAPH)
    for match in SENTENCE.finditer(text):
        cut, k = match.end(), bisect_right(paragraphs, match.start())
        covered = k < len(paragraphs) and paragraphs[k] <= cut      # a blank line in the whitespace
        if first < cut < last and not covered:
            kinds.setdefault(cut, SENTENCE_END)
    cuts = sorted(kinds)
    return cuts, [kinds[c] + (MARKER_BONUS if MARKER.match(text, c) else 0.0) for c in cuts]


@lru_cache(maxsize=16)
def _length_costs(low: int, target: int, high: int) -> tuple[float, ...]:
    """length(n) for n = 0 .. 2 * high (n = 0 is priced as 1)."""
    return tuple(_length(max(n, 1), low, target, high) for n in range(2 * high + 1))


def _length(n: int, low: int, target: int, high: int) -> float:
    return math.log(n / target) ** 2 + OUT_OF_BAND * (max(0, low - n) / low + max(0, n - high) / high)


def best_cuts(tokens: list[int], strengths: list[float], low: int, target: int, high: int) -> list[int]:
    """Indices into `tokens` (positions 0 .. last, token counts before each) of the least-cost cuts.

    best[j] = min over i < j of best[i] + length(tokens[j] - tokens[i]) - strength[j]; segments longer
    than 2 * high tokens are considered only where no shorter one ends at j.
    """
    table = _length_costs(low, target, high)
    cap = len(table) - 1
    best = [0.0] * len(tokens)
    back = [0] * len(tokens)
    for j in range(1, len(tokens)):
        end, least, argmin = tokens[j], math.inf, j - 1
        for i in range(j - 1, -1, -1):
            n = end - tokens[i]
            if n > cap and i < j - 1:
                break
            cost = best[i] + (table[n] if n <= cap else _length(n, low, target, high))
            if cost < least:
                least, argmin = cost, i
        best[j], back[j] = least - strengths[j], argmin
    chosen, j = [], back[-1]
    while j > 0:
        chosen.append(j)
        j = back[j]
    return chosen[::-1]
