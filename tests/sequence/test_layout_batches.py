"""Batched layout on real records equals the segment-by-segment layout built with the tokenizer's public API.

`Layouter.lay_out_many` encodes a whole batch through the Rust backend and screens it for special
tokens in one vectorised pass (both for speed, see bench/build.py); these tests pin it to the
obvious per-record construction and check that a bad record in a batch is reported alone.
"""
from __future__ import annotations

import json

import numpy as np
import pytest
from transformers import AutoTokenizer

from ltdata.config import BuildConfig
from ltdata.errors import RecordError
from ltdata.sequence.prepare import prepare_layout
from ltdata.pipeline.build import SAMPLE_DATA
from ltdata.readers.formats import resolve_format
from ltdata.records import Example, Role, Trace
from ltdata.splitters import make_splitter


def sample_traces() -> list[tuple[Trace, list]]:
    reader, splitter = resolve_format("bespoke"), make_splitter("thought", {})
    lines = (SAMPLE_DATA / "bespoke_sky-t1.jsonl").read_text(encoding="utf-8").splitlines()
    traces = [reader.to_trace(json.loads(line), None) for line in lines[:12]]
    return [(t, splitter.split(t.reasoning)) for t in traces]


def expected_layout(tokenizer, layouter, trace: Trace, spans) -> tuple[list[int], list[int], list[int]]:
    """ids, roles, thought indices from one public `tokenizer(text)` call per segment."""
    enc = lambda text: tokenizer(text, add_special_tokens=False)["input_ids"]  # noqa: E731
    ids_ = layouter.settings.ids
    block = [ids_.splitter, *ids_.cache, ids_.continue_]
    block_roles = [Role.SPLITTER] + [Role.CACHE] * len(ids_.cache) + [Role.CONTINUE]
    prompt, preamble = enc(layouter.render_prompt(trace)), enc(trace.preamble)
    ids, roles, owners = prompt + preamble, [Role.PROMPT] * len(prompt) + [Role.ANSWER] * len(preamble), \
        [-1] * (len(prompt) + len(preamble))
    for k, (s, e) in enumerate(spans):
        thought = enc(trace.reasoning[s:e])
        ids += thought + block
        roles += [Role.THOUGHT] * len(thought) + block_roles
        owners += [k] * (len(thought) + len(block))
    answer = enc(trace.answer)
    ids += answer + [ids_.eos]
    roles += [Role.ANSWER] * len(answer) + [Role.EOS]
    return ids, roles, owners + [-1] * (len(answer) + 1)


@pytest.mark.parametrize("which", ["qwen", "llama"])
def test_a_batch_of_real_records_equals_the_per_segment_layout(which, request):
    path = request.getfixturevalue(f"{which}_tokenizer_path")
    tokenizer = AutoTokenizer.from_pretrained(path)
    layouter = prepare_layout(tokenizer, BuildConfig(max_length=None)).layouter
    items = sample_traces()
    examples = layouter.lay_out_many(items)
    assert all(isinstance(x, Example) for x in examples)
    for (trace, spans), ex in zip(items, examples):
        ids, roles, owners = expected_layout(tokenizer, layouter, trace, spans)
        assert ex.input_ids.tolist() == ids
        assert ex.role.tolist() == roles and ex.thought_index.tolist() == owners
        text = np.isin(ex.role, [Role.THOUGHT, Role.ANSWER])
        assert tokenizer.decode(ex.input_ids[text].tolist()) == trace.output


def test_only_the_bad_records_of_a_batch_are_rejected_naming_their_field(qwen_tokenizer_path):
    tokenizer = AutoTokenizer.from_pretrained(qwen_tokenizer_path)
    layouter = prepare_layout(tokenizer, BuildConfig(max_length=None)).layouter
    good = sample_traces()[:3]
    marker_in_thought = Trace(prompt="q", preamble="<|begin_of_thought|>\n\n",
                              reasoning="a\n\n<|end_of_thought|> b\n\n", answer="<|end_of_thought|>", record_id="t")
    eos_in_answer = Trace(prompt="q", reasoning="fine.\n\n", answer="done <|im_end|>", record_id="a")
    items = [good[0], (marker_in_thought, [(0, 3), (3, len(marker_in_thought.reasoning))]), good[1],
             (eos_in_answer, [(0, 7)]), good[2]]
    results = layouter.lay_out_many(items)
    assert [type(r).__name__ for r in results] == ["Example", "RecordError", "Example", "RecordError", "Example"]
    assert [(r.record_id, r.field) for r in results if isinstance(r, RecordError)] == [("t", "reasoning"),
                                                                                      ("a", "answer")]
    assert [r.record_id for r in results if isinstance(r, Example)] == [t.record_id for t, _ in good]
    assert layouter.lay_out_many([]) == []
