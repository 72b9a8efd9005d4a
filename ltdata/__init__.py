"""ltdata: training data for compressed-reasoning (LightThinker-style) LLMs.

The public API, importable from `ltdata` directly. Names load on first use (PEP 562), so
`import ltdata` and the CLI stay fast; the CLI is a thin layer over these same functions.
"""
from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "BuildConfig": "ltdata.config",
    "Trace": "ltdata.records", "Example": "ltdata.records", "Role": "ltdata.records",
    "build": "ltdata.pipeline.build", "BuildResult": "ltdata.pipeline.build",
    "layout": "ltdata.api.layout", "explain": "ltdata.api.layout",
    "write_shards": "ltdata.api.write",
    "load": "ltdata.api.load",
    "Format": "ltdata.readers.base", "Splitter": "ltdata.splitters.base",
    "LtdataError": "ltdata.errors", "ConfigError": "ltdata.errors", "RecordError": "ltdata.errors",
    "SchemaError": "ltdata.errors", "PluginError": "ltdata.errors", "Origin": "ltdata.errors",
    "ExampleError": "ltdata.shards.validate",
}
__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'ltdata' has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
