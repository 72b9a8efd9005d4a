"""The report's Time is the real generation time, also when items are decoded in batches.

A tiny random Qwen2 with the session's BPE decodes GSM8K items three at a time; the generator is the
real one, only timed from outside. Before each item got its share of the batch, every item recorded
the whole batch's time and the report summed three times the wall clock.
"""
from __future__ import annotations

import time

import torch
from transformers import AutoTokenizer, Qwen2Config, Qwen2ForCausalLM

from ltrain.eval.config import EvalConfig
from ltrain.eval.runner import run_eval
from ltrain.generate import GenerationConfig, Generator, lookup_special_tokens


class TimedGenerator(Generator):
    """The real generator; `walls` holds the wall time of each generate() call."""

    walls: list[float]

    def generate(self, prompts):
        started = time.perf_counter()
        out = super().generate(prompts)
        self.walls.append(time.perf_counter() - started)
        return out


def test_batched_item_times_sum_to_the_wall_time(eval_data, tmp_path, byte_tokenizer_path):
    tokenizer = AutoTokenizer.from_pretrained(byte_tokenizer_path)
    torch.manual_seed(0)
    model = Qwen2ForCausalLM(Qwen2Config(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64,
                                         num_hidden_layers=1, num_attention_heads=2, num_key_value_heads=1))
    generator = TimedGenerator(model, tokenizer, lookup_special_tokens(tokenizer),
                               GenerationConfig(method="vanilla", max_new_tokens=24, batch_size=3))
    generator.walls = []
    config = EvalConfig(model=str(tmp_path / "no-model"), datasets=["gsm8k"], limit=6,
                        generation=GenerationConfig(method="vanilla", max_new_tokens=24, batch_size=3),
                        out=str(tmp_path / "out"),
                        data={"gsm8k": str(eval_data / "gsm8k_test_items301-306.jsonl")})
    summary = run_eval(config, generator=generator, progress=False)
    (row,) = [r for r in summary.to_dicts() if r["dataset"] == "gsm8k"]
    assert row["n"] == 6 and len(generator.walls) == 2
    wall = sum(generator.walls)
    assert 0.85 * wall <= row["time_s"] <= wall
