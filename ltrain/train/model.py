"""Load the model through `AutoModelForCausalLM.from_pretrained`, the library's own modelling code.

Under ZeRO-3 an `HfDeepSpeedConfig` must be alive while the model is built: transformers then
constructs it inside `deepspeed.zero.Init`, so each rank only ever holds its partition instead of a
full copy (the reference loaded 7B in full on every rank first). The mask enters through the public
`attention_mask`, so sdpa and eager need nothing else; flex_attention gets a `BlockMask`.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from transformers import AutoConfig, AutoModelForCausalLM, PreTrainedModel

from ltdata.errors import ConfigError
from ltrain.train.config import TrainConfig
from ltrain.meta import CHECKPOINT_META as CHECKPOINT_METADATA

MODEL_CONFIGS = Path(__file__).resolve().parents[1] / "configs" / "models"


@dataclass
class LoadedModel:
    model: PreTrainedModel
    zero3_context: Any   # the HfDeepSpeedConfig that must outlive the model under ZeRO-3 (None otherwise)
    from_checkpoint: dict | None   # the base model's ltrain.json, when it is an ltrain checkpoint


def random_init_config(name: str) -> Path | None:
    """The config.json a `model` value names for random weights: a .json file, or a bundled name such as
    `tiny-qwen2` (ltrain/configs/models/tiny-qwen2.json); None for directories and hub ids."""
    path = Path(name)
    if path.suffix == ".json":
        if not path.is_file():
            raise ConfigError(f"model: no such config file: {name}")
        return path
    bundled = MODEL_CONFIGS / f"{name}.json"
    return bundled if "/" not in name and not path.exists() and bundled.exists() else None


def _config_from_json(path: Path):
    values = json.loads(path.read_text(encoding="utf-8"))
    try:
        return AutoConfig.for_model(**values)
    except (KeyError, ValueError) as exc:
        raise ConfigError(f"model: {path}: not a model config: {exc}") from None


def model_config(name: str):
    """The model's config without its weights: a local file or directory, a bundled copy of a known hub
    model's config.json (`Qwen/Qwen2.5-7B-Instruct` -> configs/models/qwen2.5-7b-instruct.json), or the hub."""
    random_init = random_init_config(name)
    if random_init is not None:
        return _config_from_json(random_init)
    bundled = MODEL_CONFIGS / f"{Path(name).name.lower()}.json"
    if not Path(name).exists() and bundled.exists():
        return _config_from_json(bundled)
    try:
        return AutoConfig.from_pretrained(name)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"model: cannot load a config from {name!r}: {exc}") from None


def checkpoint_metadata(name: str) -> dict | None:
    """The ltrain.json of a local ltrain checkpoint, or None for any other model."""
    path = Path(name) / CHECKPOINT_METADATA
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def load_model(cfg: TrainConfig, ds_config: dict) -> LoadedModel:
    """from_pretrained (or random weights from a config) in the training dtype, with the chosen attention."""
    from transformers.integrations.deepspeed import HfDeepSpeedConfig, unset_hf_deepspeed_config

    unset_hf_deepspeed_config()   # never inherit the ZeRO-3 context of an earlier run in this process
    context = HfDeepSpeedConfig(ds_config) if cfg.zero_stage == 3 else None
    dtype = torch.bfloat16 if cfg.bf16 else torch.float32
    random_init = random_init_config(cfg.model)
    try:
        if random_init is not None:
            model = AutoModelForCausalLM.from_config(_config_from_json(random_init), dtype=dtype,
                                                     attn_implementation=cfg.attn_implementation)
        else:
            model = AutoModelForCausalLM.from_pretrained(cfg.model, dtype=dtype,
                                                         attn_implementation=cfg.attn_implementation)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"model: cannot load {cfg.model!r}: {exc}") from None
    model.config.use_cache = False
    if cfg.gradient_checkpointing:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    return LoadedModel(model=model, zero3_context=context, from_checkpoint=checkpoint_metadata(cfg.model))


def count_parameters(model: torch.nn.Module) -> tuple[int, int]:
    """(total parameters with tied ones counted once, largest parameter count of any one module)."""
    seen: dict[int, int] = {}
    largest = 0
    for module in model.modules():
        own = list(module.parameters(recurse=False))
        largest = max(largest, sum(_numel(p) for p in own))
        for p in own:
            seen[id(p)] = _numel(p)
    return sum(seen.values()), largest


def _numel(p: torch.nn.Parameter) -> int:
    return int(p.ds_numel) if hasattr(p, "ds_numel") else p.numel()


def meta_model(config) -> PreTrainedModel:
    """The model a config describes, on the meta device (no memory, no weights): for planning."""
    with torch.device("meta"):
        return AutoModelForCausalLM.from_config(config)
