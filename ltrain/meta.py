"""`ltrain.json`: the metadata every checkpoint carries (special tokens, mode, template, system prompt,
config, stage).

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
    return read_json_object(file) if file.exists() else {}


def read_json_object(file: Path) -> dict[str, Any]:
    """A JSON file whose top level is an object (ltrain's metadata files); errors name the file and line."""
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{file}:{exc.lineno}: invalid JSON: {exc.msg}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{file}: the top level must be an object, got {type(data).__name__}")
    return data
