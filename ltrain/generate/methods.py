"""What each method feeds after the model emits a token, and what it hides from then on.

A method answers one question per emitted token: which tokens enter the cache now (the token, or
LightThinker's forced block), what each of them may attend to (`lo`), and which earlier entries
vanish for later queries (`hide`). The loop turns that into the training mask and evicts what can
no longer be seen, so a method never touches the cache itself. H2O's budget eviction lives in
`ltrain.generate.h2o`, since it depends on attention scores rather than on tokens.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Protocol

from ltdata.sequence.special_tokens import SpecialTokenIds


@dataclass(frozen=True, slots=True)
class Hide:
    """Entries at positions first..last become invisible to queries at `from_pos` and later."""

    first: int
    last: int
    from_pos: int


@dataclass(frozen=True, slots=True)
class Feed:
    """Tokens to feed at consecutive positions from the emitted token's position on."""

    tokens: tuple[int, ...]
    lo: tuple[int, ...]            # per token: the lowest key position it may attend to
    generated: tuple[bool, ...]    # per token: emitted by the model (counts towards Dep)
    hide: Hide | None = None
    compress: bool = False         # a thought was compressed; the next thought starts after this feed


class Method(Protocol):
    def feed(self, token: int, pos: int, thought_start: int) -> Feed:
        """The feed for `token` emitted at position `pos`; the current thought began at `thought_start`."""


def _plain(token: int) -> Feed:
    return Feed(tokens=(token,), lo=(0,), generated=(True,))


class Vanilla:
    """Keep everything: the baseline every compressed method is measured against."""

    def feed(self, token: int, pos: int, thought_start: int) -> Feed:
        return _plain(token)


class KVBudget(Vanilla):
    """h2o feeds like vanilla; its eviction is score-based (see `ltrain.generate.h2o`)."""


@dataclass(frozen=True, slots=True)
class LightThinker:
    """On <|splitter|>: feed [splitter, cache..., continue] in one pass and hide the thought from continue on.

    Rows as in training: the splitter sees everything kept; cache tokens see everything kept (only
    the current thought under `see_current`), the splitter and the earlier cache tokens; continue
    sees neither the thought nor the splitter. Their entries are evicted right after the pass.
    """

    ids: SpecialTokenIds
    see_current: bool = False

    def feed(self, token: int, pos: int, thought_start: int) -> Feed:
        if token != self.ids.splitter:
            return _plain(token)
        n = len(self.ids.cache)
        cache_lo = thought_start if self.see_current else 0
        closing = pos + n + 1
        return Feed(tokens=(token, *self.ids.cache, self.ids.continue_), lo=(0, *[cache_lo] * n, 0),
                    generated=(True, *[False] * (n + 1)), hide=Hide(thought_start, pos, closing),
                    compress=True)


@dataclass(frozen=True, slots=True)
class LightThinkerNoCache(LightThinker):
    """Ablation (research only): LightThinker's block, but from continue on its cache tokens are hidden too.

    The thought, the splitter and the block's n cache tokens all vanish for the continue token and
    everything after it, so nothing written after a compression sees anything of the compressed
    thought: only the prompt, the continue tokens and the current thought. Against `LightThinker` it
    shows whether the information flows through the cache tokens.
    """

    def feed(self, token: int, pos: int, thought_start: int) -> Feed:
        fed = LightThinker.feed(self, token, pos, thought_start)
        if not fed.compress:
            return fed
        n = len(self.ids.cache)
        closing = pos + n + 1
        return Feed(tokens=fed.tokens, lo=fed.lo, generated=fed.generated, hide=Hide(thought_start, pos + n, closing),
                    compress=True)


@dataclass(frozen=True, slots=True)
class AnLLM:
    """The model emits the anchor <|o_0|> itself; it is fed alone, then the thought (not the anchor) goes."""

    ids: SpecialTokenIds
    see_current: bool = True

    @property
    def anchor(self) -> int:
        return self.ids.cache[0]

    def feed(self, token: int, pos: int, thought_start: int) -> Feed:
        if token != self.anchor:
            return _plain(token)
        lo = thought_start if self.see_current else 0
        return Feed(tokens=(token,), lo=(lo,), generated=(True,), hide=Hide(thought_start, pos - 1, pos + 1),
                    compress=True)


@dataclass(frozen=True)
class Preamble:
    """What a model emits before its first thought that training keeps uncompressed.

    Bespoke-style samples open the output with `<|begin_of_thought|>` and a blank line, laid out as
    uncompressed answer text; without this the loop would count them as the first thought and evict
    them with it. `marker` is that token's id (None: no preamble); `blank(token)` says whether a token
    is whitespace only (the blank line after the marker).
    """

    marker: int | None
    blank: Callable[[int], bool]

    def absorbs(self, token: int, after_marker: bool) -> bool:
        return token == self.marker or (after_marker and self.blank(token))


def make_method(name: str, ids: SpecialTokenIds, *, see_current: bool | None) -> Method:
    if name == "lightthinker":
        return LightThinker(ids, see_current=bool(see_current))
    if name == "lightthinker-nocache":
        return LightThinkerNoCache(ids, see_current=bool(see_current))
    if name == "anllm":
        return AnLLM(ids, see_current=True if see_current is None else see_current)
    return KVBudget() if name == "h2o" else Vanilla()
