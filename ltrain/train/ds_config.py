"""The DeepSpeed config dict, generated from `TrainConfig` and the launch (no "auto" values left).

Bucket sizes follow the model's hidden size (as HF's integration does); the 16-bit weights are
gathered on save so every checkpoint is a plain `from_pretrained` directory. `TrainConfig.deepspeed`
is merged last, so any DeepSpeed option stays reachable without a new field here.
"""
from __future__ import annotations

import copy
from typing import Any

import torch

from ltrain.train.config import TrainConfig


def deepspeed_config(cfg: TrainConfig, *, world_size: int, hidden_size: int) -> dict[str, Any]:
    accumulation = cfg.accumulation_steps(world_size)
    pin = torch.cuda.is_available()
    zero: dict[str, Any] = {
        "stage": cfg.zero_stage,
        "contiguous_gradients": True,
        "reduce_bucket_size": hidden_size * hidden_size,
    }
    if cfg.zero_stage == 3:
        zero.update(stage3_prefetch_bucket_size=int(0.9 * hidden_size * hidden_size),
                    stage3_param_persistence_threshold=10 * hidden_size,
                    stage3_gather_16bit_weights_on_model_save=True)
    if cfg.offload_optimizer:
        zero["offload_optimizer"] = {"device": "cpu", "pin_memory": pin}
    if cfg.offload_params:
        zero["offload_param"] = {"device": "cpu", "pin_memory": pin}
    config: dict[str, Any] = {
        "train_micro_batch_size_per_gpu": cfg.micro_batch_size,
        "gradient_accumulation_steps": accumulation,
        "train_batch_size": cfg.micro_batch_size * accumulation * world_size,
        "gradient_clipping": cfg.max_grad_norm or 0.0,
        "bf16": {"enabled": cfg.bf16},
        "zero_optimization": zero,
        "steps_per_print": 2**31 - 1,
        "wall_clock_breakdown": False,
    }
    if cfg.optimizer == "adamw_deepspeed":
        config["optimizer"] = {"type": "AdamW", "params": _adam_params(cfg)}
    else:
        config["zero_allow_untested_optimizer"] = True
        # a torch optimizer on offloaded state is slower than DeepSpeedCPUAdam, but needs no compiled op
        config["zero_force_ds_cpu_optimizer"] = False
    return merge(config, cfg.deepspeed)


def _adam_params(cfg: TrainConfig) -> dict[str, Any]:
    return {"lr": cfg.lr, "betas": [cfg.adam_beta1, cfg.adam_beta2], "eps": cfg.adam_eps,
            "weight_decay": cfg.weight_decay}


def torch_optimizer(cfg: TrainConfig, parameters) -> torch.optim.Optimizer:
    return torch.optim.AdamW(parameters, lr=cfg.lr, betas=(cfg.adam_beta1, cfg.adam_beta2), eps=cfg.adam_eps,
                             weight_decay=cfg.weight_decay)


def merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge `extra` over a copy of `base` (mappings merge, everything else replaces)."""
    out = copy.deepcopy(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out
