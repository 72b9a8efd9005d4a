"""The mask through the public `attention_mask` of tiny random Qwen2/Llama models equals inference.

Inference feeds a thought, its splitter and cache tokens, then drops the thought and the splitter
from the KV cache before <|continue|> and keeps counting positions: the model sees a physically
shortened sequence whose cache tokens were computed while their thought was still there. The
expected logits come from exactly that (a `DynamicCache` pruned between segments, explicit position
ids, no 4D mask), with the segments derived from the role/thought columns, never the mask columns.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch
from transformers import DynamicCache

from ltdata.loading import Collator, ShardDataset, pack_rows
from ltdata.records import Role

TOLERANCE = 1e-5
MODELS = [("qwen2", "sdpa"), ("qwen2", "eager"), ("llama", "sdpa"), ("llama", "eager")]


def segments(row: dict) -> list[tuple[int, int, np.ndarray]]:
    """(start, stop, positions to evict before start) for each run that begins at a <|continue|>."""
    role, thought = np.asarray(row["role"]), np.asarray(row["thought_index"])
    bounds = [0, *np.flatnonzero(role == Role.CONTINUE).tolist(), len(role)]
    out = []
    for k, (start, stop) in enumerate(zip(bounds, bounds[1:])):
        finished = np.isin(role, [Role.THOUGHT, Role.SPLITTER]) & (thought == k - 1)
        out.append((start, stop, np.flatnonzero(finished)))
    return out


@torch.no_grad()
def inference_logits(model, row: dict) -> torch.Tensor:
    """Logits for every position of `row` as an evicting decoder computes them, segment by segment."""
    ids = torch.tensor(np.asarray(row["input_ids"]), dtype=torch.long)[None]
    positions = torch.tensor(np.asarray(row["position_ids"]), dtype=torch.long)[None]
    cache, held = DynamicCache(config=model.config), np.zeros(0, dtype=np.int64)
    out = torch.empty(ids.shape[1], model.config.vocab_size)
    for start, stop, evict in segments(row):
        keep = torch.from_numpy(np.flatnonzero(~np.isin(held, evict)))
        for layer in cache.layers:
            if layer.keys is not None and layer.keys.numel():
                layer.keys, layer.values = layer.keys[:, :, keep], layer.values[:, :, keep]
        held = np.concatenate([held[keep.numpy()], np.arange(start, stop)])
        out[start:stop] = model(input_ids=ids[:, start:stop], position_ids=positions[:, start:stop],
                                attention_mask=torch.ones(1, len(held), dtype=torch.long),
                                past_key_values=cache, use_cache=True).logits[0]
    return out


@pytest.fixture(scope="module")
def rows(marco_build):
    ds = ShardDataset(marco_build)
    picked = [ds[i] for i in (0, 5, 9, 14)]
    assert len({len(r["input_ids"]) for r in picked}) > 1 and all(r["num_thoughts"] >= 3 for r in picked)
    return picked


def batched_logits(model, rows, **collator_options) -> torch.Tensor:
    batch = Collator(pad_token_id=0, **collator_options)(rows)
    batch.pop("labels"), batch.pop("num_label_tokens")
    with torch.no_grad():
        return model(**batch).logits


def max_diff(logits, rows, expected) -> float:
    return max(float((logits[k, :len(r["input_ids"])] - e).abs().max()) for k, (r, e) in enumerate(zip(rows, expected)))


@pytest.mark.parametrize("family,attn", MODELS)
def test_masked_forward_equals_inference_with_eviction(family, attn, rows, vocab, tiny_model):
    model = tiny_model(family, vocab, attn)
    expected = [inference_logits(model, r) for r in rows]
    assert max_diff(batched_logits(model, rows), rows, expected) <= TOLERANCE
    assert not batched_logits(model, rows).isnan().any()          # padding rows are never fully masked
    plain = batched_logits(model, rows, mask="none")               # the test can fail: causal only differs
    assert max_diff(plain, rows, expected) > 1e-3


def test_bool_mask_is_honoured_by_sdpa_and_silently_ignored_by_eager(rows, vocab, tiny_model):
    expected_sdpa = [inference_logits(tiny_model("qwen2", vocab, "sdpa"), r) for r in rows]
    assert max_diff(batched_logits(tiny_model("qwen2", vocab, "sdpa"), rows, mask="bool"), rows,
                    expected_sdpa) <= TOLERANCE
    eager = tiny_model("qwen2", vocab, "eager")
    expected = [inference_logits(eager, r) for r in rows]
    assert max_diff(batched_logits(eager, rows, mask="bool"), rows, expected) > 1e-3
    assert max_diff(batched_logits(eager, rows), rows, expected) <= TOLERANCE


@pytest.mark.slow
@pytest.mark.parametrize("family", ["qwen2", "llama"])
def test_block_mask_forward_equals_inference(family, rows, vocab, tiny_model):
    # transformers compiles flex_attention once per shape, so only the masked batch runs under flex;
    # the expected logits come from the same weights under sdpa (flex and sdpa agree to ~1e-7).
    reference = tiny_model(family, vocab, "sdpa")
    model = tiny_model(family, vocab, "flex_attention")
    model.load_state_dict(reference.state_dict())
    expected = [inference_logits(reference, r) for r in rows]
    assert max_diff(batched_logits(model, rows, mask="block", block_size=64), rows, expected) <= TOLERANCE


@pytest.mark.parametrize("family,attn", [("qwen2", "sdpa"), ("llama", "eager")])
def test_a_packed_row_gives_the_logits_and_loss_of_its_samples_run_one_by_one(family, attn, rows, vocab,
                                                                             tiny_model):
    model = tiny_model(family, vocab, attn)
    packed = Collator(pad_token_id=0)([pack_rows(rows[:3])])
    count = packed.pop("num_label_tokens")
    with torch.no_grad():
        out = model(**packed)
    summed, offset = 0.0, 0
    for row in rows[:3]:
        alone = Collator(pad_token_id=0)([row])
        n = len(row["input_ids"])
        with torch.no_grad():
            single = model(**{k: v for k, v in alone.items() if k != "num_label_tokens"})
        assert float((out.logits[0, offset:offset + n] - single.logits[0]).abs().max()) <= TOLERANCE
        summed += float(single.loss) * int(alone["num_label_tokens"])
        offset += n
    assert count == sum((np.asarray(r["labels"])[1:] != -100).sum() for r in rows[:3])
    assert abs(float(out.loss) * int(count) - summed) <= TOLERANCE * int(count)
