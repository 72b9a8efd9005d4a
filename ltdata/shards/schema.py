"""The versioned shard schema: column names, Arrow types and what each column means.

This module is the source of truth; `schemas/shard-v1.json` is its published form for other tools
(a test keeps the two identical). Every group of column names and every constant of the format is
derived or defined here once, so a new column or a changed type reaches every reader and writer.
`ltdata.shards.reader` accepts any 1.x shard and refuses other major versions.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa

from ltdata.records import Role

SCHEMA_VERSION = "1.0"
SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schemas" / "shard-v1.json"
MANIFEST = "manifest.json"                  # a build's index, written last: its shards, counts and settings
IGNORE_INDEX = -100                         # a label that trains nothing (the value torch's cross-entropy skips)
TRAINED_ROLES = (Role.THOUGHT, Role.SPLITTER, Role.ANSWER, Role.EOS)   # roles whose tokens carry labels

# (name, arrow type, description); per-token columns all have the sample's length L.
COLUMNS: list[tuple[str, pa.DataType, str]] = [
    ("record_id", pa.string(), "the input record's id (its `id` field, or <file stem>-<index>)"),
    ("source", pa.string(), "where the record came from: file:line (JSONL) or file[index]"),
    ("input_ids", pa.list_(pa.int32()), "token ids of the laid-out sample"),
    ("labels", pa.list_(pa.int32()),
     f"training targets, {IGNORE_INDEX} = no loss (prompt, cache and continue tokens)"),
    ("position_ids", pa.list_(pa.int32()), "position of each token in the uncompressed sequence: 0..L-1"),
    ("attend_from", pa.list_(pa.int32()),
     "per query i: the first key it may attend to (0, or its thought's first token for see_current cache rows)"),
    ("visible_until", pa.list_(pa.int32()),
     "per key j: the first query that can no longer see it (L = visible to the end; a thought and its "
     "splitter: the block's <|continue|>)"),
    ("role", pa.list_(pa.int8()),
     "per token: 1 prompt, 2 thought, 3 splitter, 4 cache, 5 continue, 6 answer, 7 eos (0 = padding, never stored)"),
    ("thought_index", pa.list_(pa.int16()),
     "per token: the thought (block) it belongs to, from 0; -1 for prompt, answer and eos"),
    ("num_tokens", pa.int32(), "L, the sample's length"),
    ("num_thoughts", pa.int32(), "number of thoughts (compressed blocks in lightthinker/anllm mode)"),
    ("truncated", pa.bool_(), "true when the sample was cut at a thought boundary to fit max_length"),
]
COLUMN_NAMES: tuple[str, ...] = tuple(name for name, _, _ in COLUMNS)
TEXT_COLUMNS: tuple[str, ...] = tuple(name for name, dtype, _ in COLUMNS if pa.types.is_string(dtype))
TOKEN_COLUMNS: tuple[str, ...] = tuple(name for name, dtype, _ in COLUMNS if pa.types.is_list(dtype))
SCALAR_COLUMNS: tuple[str, ...] = tuple(n for n in COLUMN_NAMES if n not in TEXT_COLUMNS + TOKEN_COLUMNS)
# numpy dtype of each per-token column's values, as stored
TOKEN_DTYPES: dict[str, np.dtype] = {name: np.dtype(dtype.value_type.to_pandas_dtype())
                                     for name, dtype, _ in COLUMNS if name in TOKEN_COLUMNS}
# The two interval columns the mask is built from. They hold positions inside the sample, so placing a
# sample at offset o in a packed row shifts them by o.
MASK_COLUMNS = ("attend_from", "visible_until")
# What a trainer feeds the model: ids, targets, positions and the mask; role and thought_index only
# describe the layout (for views, metrics and checks).
MODEL_COLUMNS = ("input_ids", "labels", "position_ids", *MASK_COLUMNS)


def shard_schema() -> pa.Schema:
    fields = [pa.field(name, dtype, nullable=False, metadata={"description": doc}) for name, dtype, doc in COLUMNS]
    return pa.schema(fields, metadata={"ltdata.schema_version": SCHEMA_VERSION})


def schema_document() -> dict:
    """The JSON form published in `schemas/shard-v1.json`."""
    return {
        "name": "ltdata shard",
        "version": SCHEMA_VERSION,
        "format": "Arrow IPC file (.arrow), one row per sample, uncompressed (memory-mappable)",
        "mask_rule": "query i may attend key j iff attend_from[i] <= j <= i and i < visible_until[j]",
        "columns": [{"name": n, "type": str(t), "description": d} for n, t, d in COLUMNS],
    }


def write_schema_document(path: Path = SCHEMA_FILE) -> None:
    path.write_text(json.dumps(schema_document(), indent=2) + "\n", encoding="utf-8")
