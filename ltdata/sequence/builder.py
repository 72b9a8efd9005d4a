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
from itertools import chain
from typing import Any, Callable, Sequence

import numpy as np

from ltdata.errors import Origin, RecordError
from ltdata.sequence.codec import Codec, codec_for
from ltdata.sequence.special_tokens import SpecialTokenIds
from ltdata.sequence.template import PromptTemplate
from ltdata.records import Example, Role, Trace
from ltdata.shards.schema import IGNORE_INDEX, TRAINED_ROLES
from ltdata.splitters.base import Span


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


class Layouter:
    """Turns `(Trace, thought spans)` pairs into `Example`s with one tokenizer call per batch.

    `tokenizer`: a transformers tokenizer, or a `Codec` (a build's workers pass the saved tokenizer.json's).
    """

    def __init__(self, tokenizer: Any, settings: LayoutSettings):
        self.codec: Codec = codec_for(tokenizer)
        self.tokenizer = self.codec.tokenizer
        self.settings = settings
        markers = set(self.codec.specials.markers)
        inserted = {settings.ids.splitter, settings.ids.continue_, settings.ids.eos, *settings.ids.cache}
        self._forbidden_in_text = np.array(sorted((set(self.codec.specials.special) | inserted) - markers))
        self._forbidden_in_thoughts = np.array(sorted(set(self._forbidden_in_text) | markers))
        self._block = _block_tokens(settings)
        # trained[role]: whether a token of that role has a label (anllm also trains its anchor)
        self._trained = np.zeros(max(Role) + 1, dtype=bool)
        self._trained[list(TRAINED_ROLES) + ([Role.CACHE] if settings.mode == "anllm" else [])] = True

    def render_prompt(self, trace: Trace) -> str:
        system = trace.system if trace.system is not None else self.settings.system_prompt
        return self.settings.template.render(self.tokenizer, system=system, prompt=trace.prompt)

    def lay_out_many(self, items: Sequence[tuple[Trace, Sequence[Span]]]) -> list[Example | Dropped | RecordError]:
        """Lay out a batch; each result is an Example, a Dropped (over-long) or a RecordError."""
        if not items:
            return []
        texts: list[str] = []
        for trace, spans in items:
            texts += [self.render_prompt(trace), trace.preamble, trace.answer]
            texts += [trace.reasoning[s:e] for s, e in spans]
        encoded = self.codec.encode(texts)
        decoded = self.codec.decode(encoded)
        counts = [3 + len(spans) for _, spans in items]
        suspects = self._suspects(counts, encoded)
        results: list[Example | Dropped | RecordError] = []
        cursor = 0
        for i, ((trace, _), count) in enumerate(zip(items, counts)):
            segment_ids = encoded[cursor:cursor + count]
            problem = _roundtrip_problem(trace, texts[cursor:cursor + count], decoded[cursor:cursor + count])
            cursor += count
            if problem is None and i in suspects:
                problem = self._special_token_problem(trace, segment_ids)
            results.append(problem or self.assemble(trace, segment_ids))
        return results

    def _suspects(self, counts: list[int], encoded: list[list[int]]) -> set[int]:
        """The records of a batch holding a forbidden id anywhere: one vectorised pass, not one per record."""
        kinds = np.concatenate([[0, 1, 1] + [2] * (count - 3) for count in counts]).astype(np.int8)
        owners = np.repeat(np.arange(len(counts)), counts)
        sizes = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))
        flat = np.fromiter(chain.from_iterable(encoded), dtype=np.int64, count=int(sizes.sum()))
        kind = np.repeat(kinds, sizes)
        bad = ((kind == 1) & np.isin(flat, self._forbidden_in_text)) | \
              ((kind == 2) & np.isin(flat, self._forbidden_in_thoughts))
        return set(np.repeat(owners, sizes)[bad].tolist())

    def _special_token_problem(self, trace: Trace, segment_ids: list[list[int]]) -> RecordError | None:
        checks = [("preamble", segment_ids[1], self._forbidden_in_text),
                  ("answer", segment_ids[2], self._forbidden_in_text),
                  ("reasoning", [t for seg in segment_ids[3:] for t in seg], self._forbidden_in_thoughts)]
        for name, ids, forbidden in checks:
            hits = np.asarray(ids, dtype=np.int64)[np.isin(ids, forbidden)] if len(ids) else []
            if len(hits):
                token = self.codec.token(int(hits[0]))
                return RecordError(f"contains the special token {token!r}, which would act as a control "
                                   f"token at inference", origin=trace.origin, record_id=trace.record_id,
                                   field=name, reason="special_token_in_text")
        return None

    def assemble(self, trace: Trace, segment_ids: Sequence[Sequence[int]]) -> Example | Dropped:
        """Lay out already-tokenised segments: [prompt, preamble, answer, thought_1, ..., thought_K]."""
        s = self.settings
        prompt, preamble, answer, thoughts = segment_ids[0], segment_ids[1], segment_ids[2], segment_ids[3:]
        block, block_roles = self._block
        ids = [*prompt, *preamble]
        for thought in thoughts:
            ids += thought
            ids += block
        ids += answer
        ids.append(s.ids.eos)
        input_ids = np.fromiter(ids, dtype=np.int32, count=len(ids))

        # Block k spans [starts[k], ends[k]): its thought's tokens, then the inserted block tokens.
        sizes = np.fromiter(map(len, thoughts), dtype=np.int64, count=len(thoughts))
        head = len(prompt) + len(preamble)
        ends = head + np.cumsum(sizes + len(block))
        starts = ends - len(block) - sizes
        role = np.full(len(ids), Role.ANSWER, dtype=np.int8)
        role[:len(prompt)] = Role.PROMPT
        thought_index = np.full(len(ids), -1, dtype=np.int16)
        if len(thoughts):
            role[head:ends[-1]] = Role.THOUGHT
            role[(ends - len(block))[:, None] + np.arange(len(block))] = block_roles
            thought_index[head:ends[-1]] = np.repeat(np.arange(len(thoughts), dtype=np.int16), sizes + len(block))
        role[-1] = Role.EOS

        example = self._columns(trace, input_ids, role, thought_index, starts, ends)
        if s.max_length is None or len(example) <= s.max_length:
            return example
        fitting = ends[ends <= s.max_length]
        if s.overlong == "drop" or not len(fitting):
            return Dropped(record_id=example.record_id, origin=trace.origin, length=len(example))
        return _truncate(example, int(fitting[-1]))

    def _columns(self, trace: Trace, input_ids: np.ndarray, role: np.ndarray, thought_index: np.ndarray,
                 starts: np.ndarray, ends: np.ndarray) -> Example:
        s = self.settings
        length = len(input_ids)
        attend_from = np.zeros(length, dtype=np.int32)
        visible_until = np.full(length, length, dtype=np.int32)
        if s.mode != "vanilla":
            # The last token of each block closes it: <|continue|> (lightthinker) or the anchor (anllm).
            closing = ends - 1
            # lightthinker: the thought and its splitter vanish from <|continue|> on;
            # anllm: the thought vanishes right after its anchor.
            if s.mode == "lightthinker":
                hidden, hide_from = (role == Role.THOUGHT) | (role == Role.SPLITTER), closing
            else:
                hidden, hide_from = role == Role.THOUGHT, closing + 1
            thought_sizes = ends - starts - len(self._block[0])
            visible_until[hidden] = np.repeat(hide_from, thought_sizes + (s.mode == "lightthinker"))
            if s.see_current:
                attend_from[role == Role.CACHE] = np.repeat(starts, s.n_cache if s.mode == "lightthinker" else 1)
            if s.exclude_continue and s.mode == "lightthinker":
                visible_until[closing[:-1]] = closing[1:]
        labels = np.where(self._trained[role], input_ids, IGNORE_INDEX).astype(np.int32)
        return Example(record_id=trace.record_id or "", input_ids=input_ids, labels=labels,
                       position_ids=np.arange(length, dtype=np.int32), attend_from=attend_from,
                       visible_until=visible_until, role=role, thought_index=thought_index,
                       source=str(trace.origin) if trace.origin else "")


def _block_tokens(s: LayoutSettings) -> tuple[list[int], np.ndarray]:
    """The tokens inserted after every thought, and their roles."""
    if s.mode == "lightthinker":
        return ([s.ids.splitter, *s.ids.cache, s.ids.continue_],
                np.array([Role.SPLITTER] + [Role.CACHE] * s.n_cache + [Role.CONTINUE], dtype=np.int8))
    if s.mode == "anllm":
        return [s.ids.cache[0]], np.array([Role.CACHE], dtype=np.int8)
    return [], np.zeros(0, dtype=np.int8)


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
    if texts == decoded:                # the usual case, compared in one C loop
        return None
    names = ["prompt", "preamble", "answer"] + ["reasoning"] * (len(texts) - 3)
    for name, text, back in zip(names, texts, decoded):
        if text != back:
            at = next((i for i, (a, b) in enumerate(zip(text, back)) if a != b), min(len(text), len(back)))
            return RecordError(f"does not survive tokenisation: the decoded text differs at character {at} "
                               f"({text[at:at + 20]!r} became {back[at:at + 20]!r}); use a lossless "
                               f"(byte-level) tokenizer", origin=trace.origin, record_id=trace.record_id,
                               field=name, reason="tokenizer_roundtrip")
    return None


def batch_encoder(tokenizer) -> Callable[[list[str]], list[list[int]]]:
    """The layout's batch encoder for `tokenizer`, so that splitters count tokens exactly as it encodes."""
    return codec_for(tokenizer).encode
