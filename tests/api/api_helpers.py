"""Shard readers shared by the API tests (a plain module: `conftest` names collide across test folders)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.ipc as ipc

import ltdata
from ltdata.pipeline.build import SAMPLE_DATA

BESPOKE = SAMPLE_DATA / "bespoke_sky-t1.jsonl"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "authoring"


def read_table(directory: Path) -> pa.Table:
    manifest = json.loads((directory / "manifest.json").read_text())
    tables = []
    for shard in manifest["shards"]:
        with pa.memory_map(str(directory / shard["file"])) as source:
            tables.append(ipc.open_file(source).read_all())
    return pa.concat_tables(tables)


def shard_bytes(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.glob("shard-*.arrow"))}


def manifest(directory: Path) -> dict:
    return json.loads((directory / "manifest.json").read_text())


def example_from_row(row: dict) -> ltdata.Example:
    """An Example rebuilt from a shard row (as a third-party tool holding the columns would)."""
    dtypes = {"input_ids": np.int32, "labels": np.int32, "position_ids": np.int32, "attend_from": np.int32,
              "visible_until": np.int32, "role": np.int8, "thought_index": np.int16}
    return ltdata.Example(record_id=row["record_id"], source=row["source"], truncated=row["truncated"],
                          **{name: np.array(row[name], dtype=dtype) for name, dtype in dtypes.items()})
