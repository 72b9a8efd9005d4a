"""Compressed generation: a decode loop over a pruned KV cache for LightThinker, AnLLM, vanilla and H2O.

`Generator.from_checkpoint(path, GenerationConfig(method=...)).generate(prompt_ids)` returns texts with
peak KV entries, Dep, compressions and wall time measured on the cache while decoding.
"""
from ltrain.generate.config import GenerationConfig
from ltrain.generate.generator import Forced, Generation, Generator, lookup_special_tokens
from ltrain.generate.stats import GenerationStats

__all__ = ["Forced", "Generation", "GenerationConfig", "GenerationStats", "Generator", "lookup_special_tokens"]
