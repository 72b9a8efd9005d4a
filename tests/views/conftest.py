"""A finished-build directory made without the pipeline: layouter -> write_shard -> tokenizer -> manifest."""
from __future__ import annotations

from pathlib import Path

import pytest
from transformers import AutoTokenizer

from ltdata.config import BuildConfig
from ltdata.sequence.prepare import prepare_layout
from ltdata.records import Trace
from ltdata.shards.manifest import write_json_atomic
from ltdata.shards.writer import write_shard

TRACES = [
    Trace(prompt="What is 2+3?", thoughts=["First, 2 plus 3.\n\n", "That is 5.\n\n"], answer="The answer is 5.",
          record_id="sum-1"),
    Trace(prompt="Name a prime.", thoughts=["Two is prime.\n\n"], answer="2", record_id="prime-1"),
    Trace(prompt="Count to three.", thoughts=["One, two,\n\n", "three.\n\n", "Done.\n\n"], answer="1 2 3",
          record_id="count-1"),
    Trace(prompt="Say hi.", answer="hi", record_id="hi-1"),
]
LONG = Trace(prompt="Spell cat.", thoughts=["C, then\n\n", "A, then T.\n\n"], answer="cat", record_id="spell-1")


def spans(trace: Trace) -> list[tuple[int, int]]:
    out, at = [], 0
    for thought in trace.thoughts or []:
        out.append((at, at + len(thought)))
        at += len(thought)
    return out


@pytest.fixture(scope="session")
def traces() -> list[tuple[Trace, list[tuple[int, int]]]]:
    """The untruncated fixture records with their thought spans, as `lay_out_many` takes them."""
    return [(t, spans(t)) for t in TRACES]


@pytest.fixture(scope="session")
def layout(byte_tokenizer_path):
    """(tokenizer with the layout's tokens, prepared layout): plain template, 2 cache tokens, no length limit."""
    tokenizer = AutoTokenizer.from_pretrained(byte_tokenizer_path)
    return tokenizer, prepare_layout(tokenizer, BuildConfig(template="plain", cache_tokens=2, max_length=None))


@pytest.fixture(scope="session")
def build_dir(layout, tmp_path_factory) -> Path:
    """Two shards (4 + 1 rows, the last one truncated after its first thought), tokenizer/ and manifest.json."""
    tokenizer, prepared = layout
    examples = prepared.layouter.lay_out_many([(t, spans(t)) for t in TRACES])
    (full,) = prepared.layouter.lay_out_many([(LONG, spans(LONG))])
    cut = prepare_layout(tokenizer, BuildConfig(template="plain", cache_tokens=2, max_length=len(full) - 1,
                                                overlong="truncate")).layouter
    examples += cut.lay_out_many([(LONG, spans(LONG))])
    assert examples[-1].truncated
    out = tmp_path_factory.mktemp("build")
    shards = []
    for n, part in enumerate((examples[:4], examples[4:])):
        rows, tokens = write_shard(out / f"shard-{n:05d}.arrow", part)
        shards.append({"file": f"shard-{n:05d}.arrow", "rows": rows, "tokens": tokens})
    tokenizer.save_pretrained(str(out / "tokenizer"))
    write_json_atomic(out / "manifest.json", {
        "schema_version": "1.0",
        "counts": {"records_read": 6, "records_written": 5, "rejected": {"invalid_record": 1},
                   "dropped_overlong": 0, "truncated": 1, "tokens": sum(s["tokens"] for s in shards)},
        "tokenizer": {"path": "tokenizer"},
        "special_tokens": prepared.settings.ids.to_manifest(),
        "cache_tokens": 2,
        "mode": "lightthinker",
        "config": {"splitter": "thought", "splitter_options": {"max_chars": 400}, "min_thought_tokens": 4,
                   "max_thought_tokens": None},
        "shards": shards,
    })
    return out


@pytest.fixture(scope="session")
def vanilla_dir(layout, tmp_path_factory) -> Path:
    """The fixture records laid out in vanilla mode, with the manifest a build writes (its cache_tokens is the
    tokenizer's default, 9, although vanilla inserts none)."""
    tokenizer, _ = layout
    prepared = prepare_layout(tokenizer, BuildConfig(template="plain", mode="vanilla", max_length=None))
    examples = prepared.layouter.lay_out_many([(t, spans(t)) for t in TRACES])
    out = tmp_path_factory.mktemp("vanilla")
    rows, tokens = write_shard(out / "shard-00000.arrow", examples)
    tokenizer.save_pretrained(str(out / "tokenizer"))
    write_json_atomic(out / "manifest.json", {
        "schema_version": "1.0",
        "counts": {"records_read": 4, "records_written": 4, "rejected": {}, "dropped_overlong": 0, "truncated": 0,
                   "tokens": tokens},
        "tokenizer": {"path": "tokenizer"},
        "special_tokens": prepared.settings.ids.to_manifest(),
        "cache_tokens": prepared.settings.n_cache,
        "mode": "vanilla",
        "config": {"splitter": "thought", "splitter_options": {}, "min_thought_tokens": None,
                   "max_thought_tokens": None},
        "shards": [{"file": "shard-00000.arrow", "rows": rows, "tokens": tokens}],
    })
    return out
