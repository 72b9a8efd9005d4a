"""The data order (same samples per step however a step is split; resumable by step) and the token loss."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from ltdata.errors import ConfigError
from ltrain.train.data import StepSampler, read_data_info
from ltrain.train.loss import label_positions, shifted_targets, token_loss_sum

LENGTHS = np.array([30, 10, 50, 20, 40, 60, 70, 80, 90, 15, 25], dtype=np.int64)   # 11 samples


def sampler(world=1, rank=0, micro=2, accumulation=2, **kw):
    return StepSampler(LENGTHS, micro_batch=micro, accumulation=accumulation, world_size=world, rank=rank,
                       seed=7, total_steps=kw.pop("total_steps", 6), **kw)


def steps_of(samplers, steps):
    """Per step: the sorted sample ids all ranks see together."""
    out = []
    for step in steps:
        ids = [i for s in samplers for micro in s.rank_micro_batches(step) for i in micro]
        out.append(sorted(ids))
    return out


def test_a_step_holds_the_same_samples_for_every_split_of_the_global_batch():
    one = steps_of([sampler(micro=4, accumulation=2)], range(6))
    two = steps_of([sampler(world=2, rank=r, micro=2, accumulation=2) for r in range(2)], range(6))
    four = steps_of([sampler(world=4, rank=r, micro=1, accumulation=2) for r in range(4)], range(6))
    assert one == two == four
    # 11 samples, 8 per step: one step per epoch, 3 samples left out (a different 3 each epoch)
    assert all(len(s) == len(set(s)) == 8 for s in one)
    assert len({tuple(s) for s in one}) > 1


def test_each_epoch_visits_distinct_samples_and_micro_batches_are_length_sorted():
    s = sampler(micro=1, accumulation=2, world=1, total_steps=10)   # global batch 2: 5 steps per epoch
    assert s.steps_per_epoch == 5
    epoch = [i for step in range(5) for i in s.step_samples(step)]
    assert len(set(epoch)) == 10 and set(epoch) <= set(range(11))
    for step in range(10):
        batch = s.step_samples(step)
        assert list(LENGTHS[batch]) == sorted(LENGTHS[batch], reverse=True)
    ranks = [sampler(world=2, rank=r, micro=1, accumulation=2) for r in range(2)]
    for step in range(6):   # slot m*world + rank: each micro-step pairs neighbouring lengths across ranks
        assert [m.tolist() for r in ranks for m in r.rank_micro_batches(step)] == \
               [[i] for i in ranks[0].step_samples(step)[[0, 2, 1, 3]]]


def test_iteration_resumes_at_a_step():
    full = list(sampler())
    assert len(full) == len(sampler()) == 6 * 2
    assert list(sampler(start_step=4)) == full[4 * 2:]


def test_a_global_batch_larger_than_the_data_is_refused():
    with pytest.raises(ConfigError, match="global_batch_size: a step takes 12 samples but the data has only 11"):
        sampler(micro=3, accumulation=4)


def test_data_directories_must_share_mode_and_tokenizer(shard_factory):
    lt, anllm = shard_factory("lightthinker"), shard_factory("anllm")
    info = read_data_info([str(lt)])
    assert (info.mode, info.cache_tokens, info.template) == ("lightthinker", 9, "plain")
    with pytest.raises(ConfigError) as err:
        read_data_info([str(lt), str(anllm)])
    assert any(p.startswith(f"data: {anllm} has mode 'anllm' but {lt} has 'lightthinker'") for p in err.value.problems)
    with pytest.raises(ConfigError, match="no manifest.json"):
        read_data_info([str(lt.parent)])


def test_label_positions_shift_by_one():
    labels = torch.tensor([[-100, -100, 5, 6, -100, 7], [-100, 8, 9, -100, -100, -100]])
    keep = label_positions(labels)
    assert keep.tolist() == [[False, True, True, False, True, False], [True, True, False, False, False, False]]
    assert shifted_targets(labels, keep).tolist() == [5, 6, 7, 8, 9]


def test_chunked_token_loss_equals_the_plain_sum_in_value_and_gradient():
    torch.manual_seed(0)
    logits = torch.randn(37, 50, dtype=torch.float64, requires_grad=True)
    targets = torch.randint(0, 50, (37,))
    reference = -torch.log_softmax(logits, dim=-1)[torch.arange(37), targets].sum()
    (grad_ref,) = torch.autograd.grad(reference, logits)
    loss = token_loss_sum(logits, targets, chunk=8)
    (grad,) = torch.autograd.grad(loss, logits)
    torch.testing.assert_close(loss, reference.float(), rtol=1e-6, atol=1e-5)
    torch.testing.assert_close(grad, grad_ref, rtol=1e-6, atol=1e-6)
    empty = token_loss_sum(logits[:0], targets[:0])
    assert float(empty) == 0.0 and empty.requires_grad
    assert float(token_loss_sum(logits[:5], targets[:5])) == pytest.approx(   # one chunk: a plain fp32 sum
        float(F.cross_entropy(logits[:5].float(), targets[:5], reduction="sum")), rel=1e-6)
