"""ltdata: training data for compressed-reasoning (LightThinker-style) LLMs."""
__version__ = "0.1.0"
