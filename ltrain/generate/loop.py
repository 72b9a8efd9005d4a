"""The decode loop: one forward per step over a batch, the method's feeds, eviction, and the metrics.

`model.generate` cannot run on a pruned cache (it infers what is new from the cache length), so the
loop is ours: every step feeds each row's pending tokens (left-padded to the longest feed) with an
explicit 4D additive mask and explicit position ids that keep counting through evicted tokens, as
in training. Every emitted token except EOS is fed back, the last one under the token budget too,
so a sample's fed sequence is exactly a shard row without its EOS. Each step's wall time is split
equally over the rows it served, so a batch's per-sample seconds add up to its wall time.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Sequence

import torch

from ltdata.errors import ConfigError
from ltrain.generate.cache import NEVER, KVState
from ltrain.generate.h2o import enforce_budget
from ltrain.generate.methods import Feed, Method, Preamble
from ltrain.generate.sampling import Chooser
from ltrain.generate.stats import GenerationStats, Meter


@dataclass(frozen=True, slots=True)
class Budget:
    """h2o: at most `size` entries per query, of which the `recent` latest are always kept."""

    size: int
    recent: int


@dataclass(slots=True)
class Decoded:
    output_ids: list[int]          # what the model emitted (EOS included when it stopped on it)
    sequence: list[int]            # every token fed, prompt first; index = position id
    finished: bool                 # stopped on EOS rather than the token budget
    stats: GenerationStats
    logits: torch.Tensor | None    # [len(sequence), V]: the logits at each fed position, when recorded


class _Clock:
    """Wall time that waits for queued device work first (no sleeps, no host-side guesses)."""

    def __init__(self, device: torch.device):
        self.cuda = device.type == "cuda"
        self.start = self._now()

    def _now(self) -> float:
        if self.cuda:
            torch.cuda.synchronize()
        return time.perf_counter()

    def elapsed(self) -> float:
        return self._now() - self.start


@dataclass(slots=True)
class _Sample:
    """One prompt's progress through the loop."""

    feed: Feed                     # what enters the cache at the next step
    sequence: list[int]
    next_pos: int = 0
    thought_start: int = 0
    output: list[int] = field(default_factory=list)
    meter: Meter = field(default_factory=Meter)
    logits: list[torch.Tensor] = field(default_factory=list)
    finished: bool = False
    after_marker: bool = False     # the last emitted token was (part of) the uncompressed preamble

    def result(self, record_logits: bool) -> Decoded:
        return Decoded(output_ids=self.output, sequence=self.sequence, finished=self.finished,
                       stats=self.meter.result(), logits=torch.cat(self.logits) if record_logits else None)


@torch.inference_mode()
def decode(model, prompts: Sequence[Sequence[int]], method: Method, chooser: Chooser, *, max_new_tokens: int,
           eos_id: int, pad_id: int = 0, budget: Budget | None = None, preamble: Preamble | None = None,
           record_logits: bool = False) -> list[Decoded]:
    """Decode every prompt (one batch, one cache) until EOS or `max_new_tokens` emitted tokens.

    A `preamble` emitted where a thought would start stays out of it (kept, like training keeps it).
    """
    for i, prompt in enumerate(prompts):
        if len(prompt) == 0:
            raise ConfigError(f"prompts[{i}]: empty prompt (nothing to condition on)")
    clock, device = _Clock(model.device), model.device
    samples = [_Sample(feed=Feed(tokens=tuple(p), lo=(0,) * len(p), generated=(False,) * len(p)),
                       sequence=list(p), thought_start=len(p)) for p in prompts]
    state = KVState(model, len(samples))
    rows = list(range(len(samples)))                 # the samples still decoding, in cache row order
    shared = 0.0                                     # wall time already attributed to samples
    while rows:
        active = [samples[r] for r in rows]
        if budget is not None:
            enforce_budget(state, _positions(active, device), budget=budget.size, recent=budget.recent)
        logits, held, attended = _forward(model, state, [a.feed for a in active], [a.next_pos for a in active],
                                          pad_id=pad_id, all_logits=record_logits, scores=budget is not None)
        for i, sample in enumerate(active):
            sample.meter.observe(held=held[i], attended=attended[i], compressed=sample.feed.compress)
            if record_logits:
                sample.logits.append(logits[i, -len(sample.feed.tokens):].float().cpu())
            sample.next_pos += len(sample.feed.tokens)
            if sample.feed.compress:
                sample.thought_start = sample.next_pos
        go_on = [i for i, a in enumerate(active) if len(a.output) < max_new_tokens]
        chosen = chooser(logits[go_on, -1], [rows[i] for i in go_on], [len(active[i].output) for i in go_on])
        keep = []
        for i, token in zip(go_on, chosen):
            sample = active[i]
            sample.output.append(token)
            sample.finished = token == eos_id
            if not sample.finished:
                opening = sample.next_pos == sample.thought_start
                sample.after_marker = preamble is not None and opening and preamble.absorbs(token, sample.after_marker)
                if sample.after_marker:
                    sample.thought_start = sample.next_pos + 1
                sample.feed = method.feed(token, sample.next_pos, sample.thought_start)
                sample.sequence += sample.feed.tokens
                keep.append(i)
        for i in set(range(len(active))) - set(keep):
            active[i].meter.output_tokens = len(active[i].output)
        if keep:
            state.evict(_positions(active, device), torch.tensor(keep, dtype=torch.long, device=device))
        now = clock.elapsed()
        for sample in active:                        # the step's time, split over the rows it served
            sample.meter.seconds += (now - shared) / len(active)
        shared = now
        rows = [rows[i] for i in keep]
    return [sample.result(record_logits) for sample in samples]


def _positions(active: list[_Sample], device: torch.device) -> torch.Tensor:
    return torch.tensor([a.next_pos for a in active], dtype=torch.long, device=device)


def _forward(model, state: KVState, feeds: list[Feed], starts: list[int], *, pad_id: int, all_logits: bool,
             scores: bool) -> tuple[torch.Tensor, list[int], list[int]]:
    """Append one feed per row and run the model; return (logits, entries held, Dep added) per row.

    Feeds are left-padded, so each row's last query is its last real token.
    """
    width = max(len(f.tokens) for f in feeds)
    ids, pos, lo, until, generated = [], [], [], [], []
    for i, (feed, start) in enumerate(zip(feeds, starts)):
        pad = width - len(feed.tokens)
        where = list(range(start, start + len(feed.tokens)))
        hidden = feed.hide
        if hidden is not None:
            state.hide(i, hidden.first, hidden.last, hidden.from_pos)
        ids.append([pad_id] * pad + list(feed.tokens))
        pos.append([-1] * pad + where)
        lo.append([0] * pad + list(feed.lo))
        until.append([NEVER] * pad + [hidden.from_pos if hidden and hidden.first <= p <= hidden.last else NEVER
                                      for p in where])
        generated.append([False] * pad + list(feed.generated))
    device = model.device
    q_pos = torch.tensor(pos, dtype=torch.long, device=device)
    allowed, mask = state.step_mask(q_pos, torch.tensor(lo, dtype=torch.long, device=device),
                                    torch.tensor(until, dtype=torch.long, device=device), model.dtype)
    out = model(input_ids=torch.tensor(ids, dtype=torch.long, device=device), attention_mask=mask,
                position_ids=q_pos.clamp(min=0), past_key_values=state.cache, use_cache=True,
                logits_to_keep=0 if all_logits else 1, output_attentions=scores)
    if scores:
        state.add_scores(out.attentions)
    attended = (allowed.sum(dim=-1) * torch.tensor(generated, device=device)).sum(dim=-1)
    return out.logits, state.sizes().tolist(), attended.tolist()
