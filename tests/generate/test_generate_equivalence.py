"""Teacher-forcing shard rows through the decode loop with eviction equals one masked forward pass.

The reference is the training view: one forward over the whole row with the additive mask built
from `ltdata.masks.dense_mask(row)` and the row's position ids. The loop instead feeds token by
token (the forced blocks in one pass each) and evicts; both must give the same logits everywhere.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

from ltdata.records import Role
from ltrain.generate import GenerationConfig, Generator
from ltrain.generate.loop import decode
from ltrain.generate.methods import make_method
from ltrain.generate.sampling import TeacherForcing

from generate_support import cache_lengths, emitted, full_forward_logits, tiny_model

TOLERANCE = 1e-5
CASES = [("lightthinker", "lightthinker"), ("see_current", "lightthinker"), ("anllm", "anllm"),
         ("vanilla", "vanilla"), ("bespoke", "lightthinker")]


def expected_cache_length(row: dict, mode: str, position: int) -> int:
    """Tokens before `position` minus the thoughts (and splitters) of blocks closed before it, from roles."""
    role, thought = np.asarray(row["role"]), np.asarray(row["thought_index"])
    closing_role = Role.CONTINUE if mode == "lightthinker" else Role.CACHE
    gone = 0
    for k in range(int(thought.max()) + 1):
        closing = np.flatnonzero((thought == k) & (role == closing_role))
        if mode != "vanilla" and len(closing) and closing[0] < position:
            gone += int(np.count_nonzero((thought == k) & np.isin(role, [Role.THOUGHT, Role.SPLITTER])))
    return position - gone


@pytest.mark.parametrize("arch", ["qwen2", "llama"])
@pytest.mark.parametrize("attn", ["sdpa", "eager"])
@pytest.mark.parametrize("build_name,mode", CASES)
def test_teacher_forced_logits_equal_the_masked_full_forward(builds, build_name, mode, arch, attn):
    built = builds[build_name]
    model = tiny_model(arch, len(built.tokenizer), attn)
    generator = Generator(model, built.tokenizer, built.ids,
                          GenerationConfig(method=mode, see_current=built.see_current))
    for row in built.rows:
        prompt, output = emitted(row, mode)
        seen, handle = cache_lengths(model)
        forced = generator.teacher_force(prompt, output)
        handle.remove()
        assert forced.sequence == row["input_ids"][:-1]          # the loop rebuilt the shard's layout
        reference = full_forward_logits(model, row)[:-1]           # EOS is never fed
        assert forced.logits.shape == reference.shape
        assert (forced.logits - reference).abs().max().item() <= TOLERANCE
        for position, lengths in seen:
            assert lengths == [expected_cache_length(row, mode, position)] * len(lengths)
        thoughts = row["num_thoughts"]
        assert forced.generation.stats.compressions == (0 if mode == "vanilla" else thoughts)


def test_the_cache_shrinks_after_each_splitter(builds):
    built = builds["lightthinker"]
    row = max(built.rows, key=lambda r: r["num_thoughts"])
    model = tiny_model("qwen2", len(built.tokenizer))
    seen, handle = cache_lengths(model)
    Generator(model, built.tokenizer, built.ids, GenerationConfig()).teacher_force(*emitted(row, "lightthinker"))
    handle.remove()
    role = np.asarray(row["role"])
    thought_sizes = [int(np.count_nonzero((np.asarray(row["thought_index"]) == k)
                                          & np.isin(role, [Role.THOUGHT, Role.SPLITTER])))
                     for k in range(row["num_thoughts"])]
    block = len(built.ids.cache) + 2
    drops = [(before[0], after[0]) for (p, before), (q, after) in zip(seen, seen[1:]) if q - p == block]
    assert len(drops) == row["num_thoughts"] >= 3
    assert [before + block - after for before, after in drops] == thought_sizes


def test_a_left_padded_batch_of_rows_matches_each_full_forward(builds):
    """Rows of different lengths in one batch: padding, mixed feed widths and per-row eviction."""
    built = builds["lightthinker"]
    model = tiny_model("llama", len(built.tokenizer))
    pairs = [emitted(row, "lightthinker") for row in built.rows]
    method = make_method("lightthinker", built.ids, see_current=False)
    done = decode(model, [p for p, _ in pairs], method, TeacherForcing([o for _, o in pairs]),
                  max_new_tokens=max(len(o) for _, o in pairs), eos_id=built.ids.eos, record_logits=True)
    assert len({len(p) for p, _ in pairs}) > 1
    for row, result in zip(built.rows, done):
        assert result.sequence == row["input_ids"][:-1] and result.finished
        reference = full_forward_logits(model, row)[:-1]
        assert torch.allclose(result.logits, reference, atol=TOLERANCE, rtol=0)
