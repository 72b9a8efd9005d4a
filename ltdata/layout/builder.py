"""Lay out traces as token sequences with labels, position ids and the interval mask columns.

lightthinker:  prompt | preamble | T1 <|splitter|> <|o_0|>..<|o_n-1|> <|continue|> | T2 ... | answer | EOS
anllm:         prompt | preamble | T1 <|o_0|> | T2 <|o_0|> | ... | answer | EOS   (the anchor is trained)
vanilla:       prompt | preamble | T1 T2 ... | answer | EOS                        (plain causal)

Every segment is tokenised on its own, all of a batch's segments in one tokenizer call, with no
auto-added special tokens; decoding each segment must give its text back exactly (checked here,
for every record), so the source text is always recoverable from the tokens.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ltdata.errors import Origin, RecordError
from ltdata.layout.special_tokens import MARKERS, SpecialTokenIds
from ltdata.layout.template import PromptTemplate
from ltdata.records import Example, Role, Trace
from ltdata.splitters.base import Span

IGNORE_INDEX = -100
TRAINED_ROLES = (Role.THOUGHT, Role.SPLITTER, Role.ANSWER, Role.EOS)


@dataclass(frozen=True, slots=True)
class LayoutSettings:
    """Resolved, picklable layout options (one per build)."""

    mode: str
    n_cache: int
    see_current: bool
    exclude_continue: bool
    max_length: int | None
    overlong: str
    template: PromptTemplate
    system_prompt: str | None
    ids: SpecialTokenIds


@dataclass(frozen=True, slots=True)
class Dropped:
    """A well-formed record left out because it does not fit `max_length`."""

    record_id: str
    origin: Origin | None
    length: int


@dataclass(slots=True)
class _Block:
    """Token positions of one thought block, relative to the example start."""

    start: int        # first thought token
    end: int          # one past the block (after <|continue|>, the anchor, or the thought)
    closing: int      # <|continue|> (lightthinker), the anchor (anllm), -1 (vanilla)
    cache: slice


class Layouter:
    """Turns `(Trace, thought spans)` pairs into `Example`s with one tokenizer call per batch."""

    def __init__(self, tokenizer, settings: LayoutSettings):
        self.tokenizer = tokenizer
        self.settings = settings
        marker_ids = {tokenizer.get_vocab()[m] for m in MARKERS if m in tokenizer.get_vocab()}
        inserted = {settings.ids.splitter, settings.ids.continue_, settings.ids.eos, *settings.ids.cache}
        self._forbidden_in_text = np.array(sorted((set(tokenizer.all_special_ids) | inserted) - marker_ids))
        self._forbidden_in_thoughts = np.array(sorted(set(self._forbidden_in_text) | marker_ids))

    def render_prompt(self, trace: Trace) -> str:
        system = trace.system if trace.system is not None else self.settings.system_prompt
        return self.settings.template.render(self.tokenizer, system=system, prompt=trace.prompt)

    def lay_out_many(self, items: Sequence[tuple[Trace, Sequence[Span]]]) -> list[Example | Dropped | RecordError]:
        """Lay out a batch; each result is an Example, a Dropped (over-long) or a RecordError."""
        texts: list[str] = []
        for trace, spans in items:
            texts += [self.render_prompt(trace), trace.preamble, trace.answer]
            texts += [trace.reasoning[s:e] for s, e in spans]
        encoded = self.tokenizer(texts, add_special_tokens=False)["input_ids"]
        decoded = self.tokenizer.batch_decode(encoded, skip_special_tokens=False,
                                              clean_up_tokenization_spaces=False)
        results: list[Example | Dropped | RecordError] = []
        cursor = 0
        for trace, spans in items:
            count = 3 + len(spans)
            segment_ids = encoded[cursor:cursor + count]
            problem = _roundtrip_problem(trace, texts[cursor:cursor + count], decoded[cursor:cursor + count])
            cursor += count
            if problem is None:
                problem = self._special_token_problem(trace, segment_ids)
            results.append(problem or self.assemble(trace, segment_ids))
        return results

    def _special_token_problem(self, trace: Trace, segment_ids: list[list[int]]) -> RecordError | None:
        checks = [("preamble", segment_ids[1], self._forbidden_in_text),
                  ("answer", segment_ids[2], self._forbidden_in_text),
                  ("reasoning", [t for seg in segment_ids[3:] for t in seg], self._forbidden_in_thoughts)]
        for name, ids, forbidden in checks:
            hits = np.asarray(ids, dtype=np.int64)[np.isin(ids, forbidden)] if len(ids) else []
            if len(hits):
                token = self.tokenizer.convert_ids_to_tokens(int(hits[0]))
                return RecordError(f"contains the special token {token!r}, which would act as a control "
                                   f"token at inference", origin=trace.origin, record_id=trace.record_id,
                                   field=name, reason="special_token_in_text")
        return None

    def assemble(self, trace: Trace, segment_ids: Sequence[Sequence[int]]) -> Example | Dropped:
        """Lay out already-tokenised segments: [prompt, preamble, answer, thought_1, ..., thought_K]."""
        s = self.settings
        ids: list[np.ndarray] = []
        roles: list[np.ndarray] = []
        thought_of: list[np.ndarray] = []
        length = 0

        def put(tokens: Sequence[int], role: Role, thought: int = -1) -> int:
            nonlocal length
            start = length
            ids.append(np.asarray(tokens, dtype=np.int32))
            roles.append(np.full(len(tokens), role, dtype=np.int8))
            thought_of.append(np.full(len(tokens), thought, dtype=np.int16))
            length += len(tokens)
            return start

        prompt, preamble, answer, thoughts = segment_ids[0], segment_ids[1], segment_ids[2], segment_ids[3:]
        put(prompt, Role.PROMPT)
        put(preamble, Role.ANSWER)
        blocks: list[_Block] = []
        for k, thought in enumerate(thoughts):
            start = put(thought, Role.THOUGHT, k)
            closing, cache = -1, slice(0, 0)
            if s.mode == "lightthinker":
                put([s.ids.splitter], Role.SPLITTER, k)
                first_cache = put(s.ids.cache, Role.CACHE, k)
                cache = slice(first_cache, first_cache + s.n_cache)
                closing = put([s.ids.continue_], Role.CONTINUE, k)
            elif s.mode == "anllm":
                closing = put(s.ids.cache[:1], Role.CACHE, k)
                cache = slice(closing, closing + 1)
            blocks.append(_Block(start=start, end=length, closing=closing, cache=cache))
        put(answer, Role.ANSWER)
        put([s.ids.eos], Role.EOS)

        example = self._columns(trace, np.concatenate(ids), np.concatenate(roles), np.concatenate(thought_of),
                                blocks)
        if s.max_length is None or len(example) <= s.max_length:
            return example
        fitting = [b.end for b in blocks if b.end <= s.max_length]
        if s.overlong == "drop" or not fitting:
            return Dropped(record_id=example.record_id, origin=trace.origin, length=len(example))
        return _truncate(example, fitting[-1])

    def _columns(self, trace: Trace, input_ids: np.ndarray, role: np.ndarray, thought_index: np.ndarray,
                 blocks: list[_Block]) -> Example:
        s = self.settings
        length = len(input_ids)
        attend_from = np.zeros(length, dtype=np.int32)
        visible_until = np.full(length, length, dtype=np.int32)
        if s.mode != "vanilla":
            for b in blocks:
                # lightthinker: the thought and its splitter vanish from <|continue|> on;
                # anllm: the thought vanishes right after its anchor.
                hide_from = b.closing if s.mode == "lightthinker" else b.closing + 1
                visible_until[b.start:b.cache.start] = hide_from
                if s.see_current:
                    attend_from[b.cache] = b.start
            if s.exclude_continue and s.mode == "lightthinker":
                closings = [b.closing for b in blocks]
                for here, nxt in zip(closings, closings[1:]):
                    visible_until[here] = nxt
        trained = np.isin(role, TRAINED_ROLES)
        if s.mode == "anllm":
            trained |= role == Role.CACHE
        labels = np.where(trained, input_ids, IGNORE_INDEX).astype(np.int32)
        return Example(record_id=trace.record_id or "", input_ids=input_ids, labels=labels,
                       position_ids=np.arange(length, dtype=np.int32), attend_from=attend_from,
                       visible_until=visible_until, role=role, thought_index=thought_index,
                       source=str(trace.origin) if trace.origin else "")


def _truncate(example: Example, keep: int) -> Example:
    """The example cut after a whole block: a prefix, with "visible to the end" clipped to it."""
    return Example(record_id=example.record_id, input_ids=example.input_ids[:keep],
                   labels=example.labels[:keep], position_ids=example.position_ids[:keep],
                   attend_from=example.attend_from[:keep],
                   visible_until=np.minimum(example.visible_until[:keep], keep).astype(np.int32),
                   role=example.role[:keep], thought_index=example.thought_index[:keep],
                   source=example.source, truncated=True)


def _roundtrip_problem(trace: Trace, texts: list[str], decoded: list[str]) -> RecordError | None:
    """The lossless-text invariant: every segment decodes back to exactly its text."""
    names = ["prompt", "preamble", "answer"] + ["reasoning"] * (len(texts) - 3)
    for name, text, back in zip(names, texts, decoded):
        if text != back:
            at = next((i for i, (a, b) in enumerate(zip(text, back)) if a != b), min(len(text), len(back)))
            return RecordError(f"does not survive tokenisation: the decoded text differs at character {at} "
                               f"({text[at:at + 20]!r} became {back[at:at + 20]!r}); use a lossless "
                               f"(byte-level) tokenizer", origin=trace.origin, record_id=trace.record_id,
                               field=name, reason="tokenizer_roundtrip")
    return None
