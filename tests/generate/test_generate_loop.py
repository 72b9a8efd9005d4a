"""The decode loop as users drive it: batching, stopping, sampling, text, the H2O eviction, bad input."""
from __future__ import annotations

import pytest
import torch

from generate_support import TRACES, emitted, tiny_model
from ltdata.errors import ConfigError
from ltrain.generate import GenerationConfig, Generator, lookup_special_tokens
from ltrain.generate.cache import KVState
from ltrain.generate.h2o import enforce_budget
from ltrain.generate.loop import Budget, _forward, decode
from ltrain.generate.methods import Feed, make_method
from ltrain.generate.sampling import nucleus

PROMPTS = [list(range(100, 105)), list(range(110, 119)), list(range(120, 133))]


class EveryKth:
    """Greedy, except that every k-th emitted token is `token` (a splitter or an anchor at a steady pace)."""

    def __init__(self, token: int, k: int):
        self.token, self.k = token, k

    def __call__(self, logits, rows, step):
        return [self.token if (s + 1) % self.k == 0 else int(row.argmax()) for row, s in zip(logits, step)]


@pytest.mark.parametrize("method", ["lightthinker", "anllm", "vanilla", "h2o"])
def test_a_batch_decodes_exactly_like_one_prompt_at_a_time(builds, method):
    built = builds["anllm" if method == "anllm" else "lightthinker"]
    model = tiny_model("qwen2", len(built.tokenizer), "eager" if method == "h2o" else "sdpa")
    policy = make_method(method, built.ids, see_current=None)
    token = built.ids.cache[0] if method == "anllm" else built.ids.splitter
    budget = Budget(size=14, recent=6) if method == "h2o" else None

    def run(prompts):
        return decode(model, prompts, policy, EveryKth(token, 5), max_new_tokens=18, eos_id=-1, budget=budget,
                      record_logits=True)

    together = run(PROMPTS)
    for prompt, batched in zip(PROMPTS, together):
        (alone,) = run([prompt])
        assert batched.output_ids == alone.output_ids and batched.sequence == alone.sequence
        pick = lambda s: (s.peak_tokens, s.dep, s.compressions, s.output_tokens)  # noqa: E731
        assert pick(batched.stats) == pick(alone.stats)
        assert torch.allclose(batched.logits, alone.logits, atol=1e-5, rtol=0)
    if method in ("lightthinker", "anllm"):
        assert all(d.stats.compressions == 3 for d in together)


def test_stops_on_eos_or_on_the_budget(builds):
    built = builds["lightthinker"]
    generator = Generator(tiny_model("qwen2", len(built.tokenizer)), built.tokenizer, built.ids,
                          GenerationConfig(max_new_tokens=4))
    eos = built.ids.eos
    stopped = generator.teacher_force(PROMPTS[0], [200, 201, eos, 202]).generation
    assert stopped.finished and stopped.output_ids == [200, 201, eos] and stopped.stats.output_tokens == 3
    (capped,) = generator.generate([PROMPTS[0]])
    assert len(capped.output_ids) == 4 and capped.stats.output_tokens == 4
    assert capped.finished == (capped.output_ids[-1] == eos)
    assert capped.stats.seconds > 0


def test_text_is_the_thoughts_and_answer_without_control_tokens(builds):
    built = builds["lightthinker"]
    generator = Generator(tiny_model("qwen2", len(built.tokenizer)), built.tokenizer, built.ids, GenerationConfig())
    by_id = {t["id"]: t for t in TRACES}
    for row in built.rows:
        out = generator.teacher_force(*emitted(row, "lightthinker")).generation
        assert out.text == by_id[row["record_id"]]["reasoning"] + by_id[row["record_id"]]["answer_text"]


def test_sampling_is_seeded_and_top_p_near_zero_is_greedy(builds):
    built = builds["lightthinker"]
    model = tiny_model("llama", len(built.tokenizer))

    def outputs(**config):
        generator = Generator(model, built.tokenizer, built.ids, GenerationConfig(max_new_tokens=12, **config))
        return [g.output_ids for g in generator.generate(PROMPTS)]

    assert outputs(do_sample=True, seed=7) == outputs(do_sample=True, seed=7)
    assert outputs(do_sample=True, seed=7) != outputs(do_sample=True, seed=8)
    assert outputs(do_sample=True, seed=7, top_p=1e-9) == outputs()


def test_nucleus_keeps_the_smallest_set_reaching_top_p():
    probs = torch.tensor([[0.15, 0.5, 0.05, 0.3]])
    assert torch.allclose(nucleus(probs, 0.7), torch.tensor([[0.0, 0.625, 0.0, 0.375]]))
    assert torch.allclose(nucleus(probs, 0.8), torch.tensor([[0.0, 0.625, 0.0, 0.375]]))
    assert torch.allclose(nucleus(probs, 0.81), torch.tensor([[0.15, 0.5, 0.0, 0.3]]) / 0.95)


def test_h2o_evicts_the_lowest_scores_outside_the_recent_window_on_every_layer():
    model = tiny_model("qwen2", 300, "eager")
    state = KVState(model, 1)
    _forward(model, state, [Feed(tokens=tuple(range(10, 20)), lo=(0,) * 10, generated=(False,) * 10)], [0],
             pad_id=0, all_logits=False, scores=True)
    before = [(layer.keys.clone(), layer.values.clone()) for layer in state.cache.layers]
    state.score = torch.tensor([[5.0, 1.0, 9.0, 0.5, 7.0, 2.0, 0.1, 0.2, 3.0, 8.0]])
    enforce_budget(state, torch.tensor([10]), budget=7, recent=3)        # 10 held + 1 new -> drop 4 old ones
    # positions 7..9 are the recent window (7 stays despite its 0.2); of 0..6 the four lowest go: 6, 3, 1, 5
    kept = [0, 2, 4, 7, 8, 9]
    assert state.pos.tolist() == [kept]
    for layer, (keys, values) in zip(state.cache.layers, before):
        assert torch.equal(layer.keys, keys[:, :, kept]) and torch.equal(layer.values, values[:, :, kept])


def test_bad_configuration_is_a_config_error_naming_the_option(builds, byte_tokenizer_path):
    with pytest.raises(ConfigError, match="kv_budget/kv_recent: only the h2o method"):
        GenerationConfig(kv_budget=10)
    with pytest.raises(ConfigError, match="kv_budget: h2o needs"):
        GenerationConfig(method="h2o")
    with pytest.raises(ConfigError, match="kv_recent"):
        GenerationConfig(method="h2o", kv_budget=8, kv_recent=8)
    built = builds["lightthinker"]
    generator = Generator(tiny_model("qwen2", len(built.tokenizer)), built.tokenizer, built.ids, GenerationConfig())
    with pytest.raises(ConfigError, match=r"prompts\[1\]: empty prompt"):
        generator.generate([[1, 2], []])
    from transformers import AutoTokenizer

    plain = AutoTokenizer.from_pretrained(byte_tokenizer_path)          # no ltdata tokens added
    with pytest.raises(ConfigError, match="needs splitter, continue, cache"):
        Generator(tiny_model("qwen2", len(plain)), plain, lookup_special_tokens(plain), GenerationConfig())
    with pytest.raises(ConfigError, match="outside the model's 100-row embedding"):
        Generator(tiny_model("qwen2", 100), built.tokenizer, built.ids, GenerationConfig())
