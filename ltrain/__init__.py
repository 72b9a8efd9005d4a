"""ltrain: train, run and evaluate compressed-reasoning (LightThinker-style) models on ltdata shards."""
__version__ = "0.1.0"
