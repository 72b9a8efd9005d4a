"""ltdata: training data for compressed-reasoning (LightThinker-style) LLMs.

The public API, importable from `ltdata` directly. Names load on first use (PEP 562), so
`import ltdata` and the CLI stay fast; the CLI is a thin layer over these same functions.
"""
from __future__ import annotations

import importlib
import sys
import types
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "BuildConfig": "ltdata.config",
    "Trace": "ltdata.records", "Example": "ltdata.records", "Role": "ltdata.records",
    "build": "ltdata.pipeline.build", "BuildResult": "ltdata.pipeline.build",
    "explain": "ltdata.api.layout",
    "write_shards": "ltdata.api.write",
    "load": "ltdata.api.load",
    "Format": "ltdata.readers.base", "Splitter": "ltdata.splitters.base",
    "LtdataError": "ltdata.errors", "ConfigError": "ltdata.errors", "RecordError": "ltdata.errors",
    "SchemaError": "ltdata.errors", "PluginError": "ltdata.errors", "Origin": "ltdata.errors",
    "ExampleError": "ltdata.shards.validate",
}
__all__ = ["__version__", "layout", *_EXPORTS]


class _LayoutPackage(types.ModuleType):
    """`ltdata.layout` is the layout stage's package *and* the one-sample call `ltdata.layout(trace, cfg)`.

    The package name came first; making the module callable keeps `ltdata.layout.builder` and every
    import of it working while the documented call works too (see `ltdata.api.layout.layout`).
    """

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from ltdata.api.layout import layout

        return layout(*args, **kwargs)


importlib.import_module(f"{__name__}.layout").__class__ = _LayoutPackage
layout = sys.modules[f"{__name__}.layout"]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'ltdata' has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
