"""manifest.json: what a build wrote and how, written last and atomically.

It holds no timestamps or host names, so an interrupted-then-resumed build writes the same bytes
as an uninterrupted one. Reading it (with the schema version check) is `ltdata.shards.reader`'s job.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ltdata.atomic import atomic_write_text


def write_json_atomic(path: Path, data: Any) -> None:
    """The JSON form of every record a build or run keeps (manifest, plans, metadata), written atomically."""
    atomic_write_text(path, json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False) + "\n")
