"""`ltrain.json`: the metadata every checkpoint carries (special tokens, mode, template, config, stage).

The trainer writes it; generation, evaluation and resume read it through `read_checkpoint_meta`, so a
broken file gives the same one-line error everywhere.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ltdata.errors import ConfigError

CHECKPOINT_META = "ltrain.json"


def read_checkpoint_meta(directory: str | Path) -> dict[str, Any]:
    """The checkpoint's `ltrain.json` as a dict; {} when the directory has none (a plain HF model)."""
    file = Path(directory) / CHECKPOINT_META
    if not file.exists():
        return {}
    try:
        meta = json.loads(file.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{file}:{exc.lineno}: invalid JSON: {exc.msg}") from None
    if not isinstance(meta, dict):
        raise ConfigError(f"{file}: the top level must be an object, got {type(meta).__name__}")
    return meta
