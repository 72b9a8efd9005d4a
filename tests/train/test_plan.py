"""`ltrain plan`: 7B/8B models from the presets on the meta device, counted against the config formula."""
from __future__ import annotations

import pytest

from ltrain.cli.main import main
from ltrain.train.config import TrainConfig
from ltrain.train.model import count_parameters, meta_model, model_config
from ltrain.train.plan import activation_bytes, make_plan

# name: (hidden, layers, heads, kv heads, intermediate, vocab, q/k/v bias) -- the public config.json values
SHAPES = {"qwen2.5-7b": (3584, 28, 28, 4, 18944, 152064, True),
          "llama3.1-8b": (4096, 32, 32, 8, 14336, 128256, False)}


def formula_parameters(hidden, layers, heads, kv_heads, inter, vocab, bias) -> tuple[int, int]:
    """Embeddings + per layer (q, k, v, o, gate/up/down, two RMSNorms) + final norm + untied lm_head."""
    head_dim = hidden // heads
    q, kv = heads * head_dim, kv_heads * head_dim
    attention = hidden * q + 2 * hidden * kv + q * hidden + ((q + 2 * kv) if bias else 0)
    mlp = 3 * hidden * inter
    per_layer = attention + mlp + 2 * hidden
    embedding = vocab * hidden
    return embedding + layers * per_layer + hidden + embedding, embedding


@pytest.mark.parametrize("preset", sorted(SHAPES))
def test_the_meta_model_of_each_preset_has_the_formula_parameter_count(preset):
    cfg = TrainConfig.from_yaml(preset)
    config = model_config(cfg.model)
    hidden, layers, heads, kv_heads, inter, vocab, bias = SHAPES[preset]
    assert (config.hidden_size, config.num_hidden_layers, config.num_attention_heads, config.num_key_value_heads,
            config.intermediate_size, config.vocab_size) == (hidden, layers, heads, kv_heads, inter, vocab)
    model = meta_model(config)
    assert next(model.parameters()).device.type == "meta"
    expected_total, expected_largest = formula_parameters(*SHAPES[preset])
    assert count_parameters(model) == (expected_total, expected_largest)
    assert expected_total == {"qwen2.5-7b": 7_615_616_512, "llama3.1-8b": 8_030_261_248}[preset]   # published sizes


@pytest.mark.parametrize("preset", sorted(SHAPES))
def test_plan_figures_at_8_gpus_follow_deepspeeds_byte_counts(preset):
    plan = make_plan(TrainConfig.from_yaml(preset), gpus_per_node=8)
    total, largest = formula_parameters(*SHAPES[preset])
    assert (plan.total_params, plan.largest_layer_params) == (total, largest)
    assert (plan.micro_batch, plan.accumulation, plan.global_batch, plan.tokens_per_step) == (5, 2, 80, 80 * 4096)
    rows = {r.label: r for r in plan.rows}
    assert rows["ZeRO-2"].model_states == 2 * total + 18 * total // 8
    assert rows["ZeRO-2 + offload optimizer"].model_states == 2 * total
    assert rows["ZeRO-3"].model_states == 4 * largest + 18 * total // 8
    assert rows["ZeRO-3 + offload optimizer"].model_states == 4 * largest + 2 * total // 8
    assert rows["ZeRO-3 + offload optimizer + params"].model_states == 4 * largest
    assert plan.chosen == "ZeRO-3 + offload optimizer + params"
    vocab = SHAPES[preset][5]
    assert plan.activations["logits and their gradient"] == 2 * 5 * 4096 * vocab * 2 + 2 * 4096 * vocab * 4
    assert plan.activations["4D mask"] == 5 * 4096 * 4096 * 2


def test_activations_without_checkpointing_keep_every_layer():
    config = model_config("tiny-qwen2")
    on = activation_bytes(config, micro_batch=2, seq_len=100, checkpointing=True)
    off = activation_bytes(config, micro_batch=2, seq_len=100, checkpointing=False)
    assert off["all layers"] == 2 * on["one layer recomputed"] and "layer inputs" not in off


def test_plan_cli_prints_the_table_and_expected_tokens_from_real_data(capsys, lightthinker_shards):
    assert main(["plan", "--preset", "qwen2.5-7b", "--gpus", "8", "--data", str(lightthinker_shards)]) == 0
    out = capsys.readouterr().out
    assert "7,615,616,512 parameters" in out and "micro 5 x accumulation 2 x 8 GPUs = 80 sequences" in out
    assert "ZeRO-3 + offload optimizer + params" in out and "<- this config" in out
    assert "expected: " in out and "tokens per step (mean sample length of the data)" in out
    assert main(["plan", "--preset", "llama3.1-8b", "--gpus", "3"]) == 2
    assert "global_batch_size: 80 is not a multiple of micro_batch_size 5 x world size 3" in capsys.readouterr().err
