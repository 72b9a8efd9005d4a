"""Compressed generation: a decode loop over a pruned KV cache for LightThinker, AnLLM, vanilla and H2O
(plus `lightthinker-nocache`, an ablation that hides the cache tokens too).

`Generator.from_checkpoint(path, GenerationConfig(method=...)).generate(prompt_ids)` returns texts with
peak KV entries, Dep, compressions and wall time measured on the cache while decoding. Names load on
first use, so reading `GenerationConfig` (as the CLI parser does) never imports torch.
"""
from importlib import import_module

_EXPORTS = {"GenerationConfig": "ltrain.generate.config", "GenerationStats": "ltrain.generate.stats",
            "Forced": "ltrain.generate.generator", "Generation": "ltrain.generate.generator",
            "Generator": "ltrain.generate.generator", "lookup_special_tokens": "ltrain.generate.generator"}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'ltrain.generate' has no attribute {name!r}")
    return getattr(import_module(_EXPORTS[name]), name)
