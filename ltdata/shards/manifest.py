"""manifest.json: what a build wrote and how, written last and atomically.

It holds no timestamps or host names, so an interrupted-then-resumed build writes the same bytes
as an uninterrupted one.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ltdata.errors import SchemaError
from ltdata.shards.schema import check_version

MANIFEST = "manifest.json"


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON to a temp name, then rename: readers never see half a file."""
    temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    temporary.write_text(json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False) + "\n", encoding="utf-8")
    os.replace(temporary, path)


def read_manifest(directory: str | Path) -> dict:
    """Load and version-check a build's manifest."""
    path = Path(directory) / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SchemaError(f"{directory}: no {MANIFEST} (not an ltdata output, or the build did not finish)") from None
    except json.JSONDecodeError as exc:
        raise SchemaError(f"{path}: invalid JSON: {exc}") from None
    check_version(manifest.get("schema_version"), where=str(path))
    return manifest


def shard_paths(directory: str | Path) -> list[Path]:
    """The shard files a finished build lists, in order."""
    directory = Path(directory)
    return [directory / s["file"] for s in read_manifest(directory)["shards"]]
