"""TrainConfig from YAML and flags: every problem at once, each naming its key; the shipped presets load."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ltdata.errors import ConfigError
from ltrain.cli.main import main
from ltrain.train.config import PRESETS, TrainConfig
from ltrain.train.ds_config import deepspeed_config


def test_every_shipped_preset_loads_and_the_7b_presets_carry_the_paper_recipe():
    presets = {p.stem: TrainConfig.from_yaml(p) for p in sorted(PRESETS.glob("*.yaml"))}
    assert set(presets) == {"tiny", "qwen2.5-7b", "llama3.1-8b"}
    for name in ("qwen2.5-7b", "llama3.1-8b"):
        cfg = presets[name]
        assert (cfg.lr, cfg.lr_schedule, cfg.warmup_ratio, cfg.epochs, cfg.global_batch_size) == (2e-5, "cosine", 0.05, 5, 80)
        assert (cfg.bf16, cfg.gradient_checkpointing, cfg.zero_stage, cfg.weight_decay, cfg.seed) == (True, True, 3, 0.0, 42)
        assert cfg.offload_optimizer and cfg.offload_params and cfg.max_grad_norm == 1.0
        # 4 GPUs x 5 x 4 is the paper's 80; 8 GPUs keep 80 with 2 accumulation steps
        assert (cfg.accumulation_steps(4), cfg.accumulation_steps(8)) == (4, 2)
    assert presets["qwen2.5-7b"].model == "Qwen/Qwen2.5-7B-Instruct"
    assert presets["llama3.1-8b"].model == "meta-llama/Llama-3.1-8B-Instruct"


def test_all_problems_are_reported_at_once_each_naming_its_key(tmp_path):
    recipe = tmp_path / "bad.yaml"
    recipe.write_text("model: ''\nlr: -1\nzero_stage: 1\nmicor_batch_size: 2\nwarmup_ratio: lots\ndata: []\n")
    with pytest.raises(ConfigError) as err:
        TrainConfig.from_yaml(recipe)
    assert err.value.problems == [
        f"{recipe}: unknown key 'micor_batch_size' (did you mean 'micro_batch_size'?)",
        "warmup_ratio: must be a number, got 'lots'",
        "zero_stage: must be one of 2, 3; got 1",
        "model: required (a model directory or hub id)",
        "data: required (one or more `ltdata build` output directories)",
        "lr: must be positive, got -1",
    ]


def test_cross_field_and_launch_checks():
    with pytest.raises(ConfigError, match="offload_params: needs zero_stage 3"):
        TrainConfig(model="m", data=["d"], zero_stage=2, offload_params=True)
    cfg = TrainConfig(model="m", data=["d"], micro_batch_size=5, global_batch_size=80, attn_implementation="flex_attention")
    assert cfg.runtime_problems(world_size=8, cuda=True) == []
    problems = cfg.runtime_problems(world_size=3, cuda=False)
    assert problems[0].startswith("attn_implementation: flex_attention cannot train on CPU")
    assert problems[1] == "global_batch_size: 80 is not a multiple of micro_batch_size 5 x world size 3"
    both = cfg.replace(gradient_accumulation_steps=3, attn_implementation="sdpa")
    assert both.runtime_problems(world_size=4, cuda=False)[0].startswith(
        "gradient_accumulation_steps: 3 contradicts global_batch_size 80 = micro_batch_size 5 x world size 4 x 4")


def test_yaml_reads_2e_5_as_a_string_and_we_take_it_as_the_number():
    assert TrainConfig.from_dict({"model": "m", "data": ["d"], "lr": "2e-5"}).lr == 2e-5


def test_deepspeed_config_follows_the_config_and_merges_the_extra_block():
    cfg = TrainConfig.from_yaml("qwen2.5-7b")
    ds = deepspeed_config(cfg, world_size=8, hidden_size=3584)
    assert (ds["train_batch_size"], ds["train_micro_batch_size_per_gpu"], ds["gradient_accumulation_steps"]) == (80, 5, 2)
    zero = ds["zero_optimization"]
    assert zero["stage"] == 3 and zero["offload_param"]["device"] == "cpu" and zero["offload_optimizer"]["device"] == "cpu"
    assert zero["stage3_gather_16bit_weights_on_model_save"] is True
    assert zero["overlap_comm"] is True and zero["reduce_bucket_size"] == 3584 * 3584   # merged over generated keys
    assert ds["bf16"] == {"enabled": True} and ds["gradient_clipping"] == 1.0
    assert ds["optimizer"]["type"] == "AdamW" and ds["optimizer"]["params"]["lr"] == 2e-5


def test_cli_flags_override_the_preset(capsys):
    assert main(["train", "--config", "tiny", "--lr", "1e-4", "--zero-stage", "3", "--data", "a", "b",
                 "--max-steps", "none", "--deepspeed", "{zero_optimization: {overlap_comm: true}}",
                 "--no-bucket-by-length", "--print-config"]) == 0
    printed = yaml.safe_load(capsys.readouterr().out)
    assert (printed["lr"], printed["zero_stage"], printed["data"], printed["max_steps"]) == (1e-4, 3, ["a", "b"], None)
    assert printed["deepspeed"] == {"zero_optimization": {"overlap_comm": True}}
    assert printed["bucket_by_length"] is False and printed["model"] == "tiny-qwen2"


def test_cli_reports_config_errors_in_one_line_with_exit_code_2(capsys):
    assert main(["train", "--model", "m", "--data", "d", "--zero-stage", "2", "--offload-params", "--lr", "-1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ltrain: error: lr: must be positive, got -1.0; offload_params: needs zero_stage 3")
    assert main(["train", "--config", Path("no/such.yaml").as_posix()]) == 2
    assert "config: file not found: no/such.yaml" in capsys.readouterr().err


@pytest.mark.parametrize("data, covered", [
    ({"splitter": 8, "continue": 9, "cache": [10, 11], "eos": 2}, True),    # the same tokens
    ({"splitter": 8, "continue": 9, "cache": [10], "eos": 2}, True),        # AnLLM's one anchor after a 2-token cache
    ({"splitter": 8, "continue": 9, "cache": [11], "eos": 2}, False),       # not the first cache id
    ({"splitter": 8, "continue": 9, "cache": [10, 11, 12], "eos": 2}, False),  # more cache than the model has
    ({"splitter": 7, "continue": 9, "cache": [10], "eos": 2}, False),       # another splitter id
])
def test_a_checkpoint_continues_data_whose_special_tokens_it_covers(data, covered):
    from ltrain.train.recipe import special_tokens_cover

    checkpoint = {"splitter": 8, "continue": 9, "cache": [10, 11], "eos": 2}
    assert special_tokens_cover(checkpoint, data) is covered
    assert special_tokens_cover(None, data) is False
