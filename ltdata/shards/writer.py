"""Write examples to one Arrow IPC shard, atomically and in bounded memory.

Examples stream in and are written in record batches, so a shard of any size never sits in memory
whole; the file appears under its final name only once complete (temp name, then rename).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable

import numpy as np
import pyarrow as pa
import pyarrow.ipc as ipc

from ltdata.records import Example
from ltdata.shards.schema import shard_schema

BATCH_ROWS = 64


def examples_to_batch(examples: list[Example], schema: pa.Schema | None = None) -> pa.RecordBatch:
    """Columnar Arrow batch from examples (list columns built from flat buffers + offsets)."""
    schema = schema or shard_schema()
    lengths = np.fromiter((len(e) for e in examples), dtype=np.int32, count=len(examples))
    offsets = pa.array(np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32))

    def tokens(column: str, dtype) -> pa.Array:
        flat = np.concatenate([getattr(e, column) for e in examples]) if examples else np.zeros(0, dtype)
        return pa.ListArray.from_arrays(offsets, pa.array(flat.astype(dtype, copy=False)))

    arrays = {
        "record_id": pa.array([e.record_id for e in examples], pa.string()),
        "source": pa.array([e.source for e in examples], pa.string()),
        "input_ids": tokens("input_ids", np.int32),
        "labels": tokens("labels", np.int32),
        "position_ids": tokens("position_ids", np.int32),
        "attend_from": tokens("attend_from", np.int32),
        "visible_until": tokens("visible_until", np.int32),
        "role": tokens("role", np.int8),
        "thought_index": tokens("thought_index", np.int16),
        "num_tokens": pa.array(lengths, pa.int32()),
        "num_thoughts": pa.array([e.num_thoughts for e in examples], pa.int32()),
        "truncated": pa.array([e.truncated for e in examples], pa.bool_()),
    }
    return pa.RecordBatch.from_arrays([arrays[f.name] for f in schema], schema=schema)


def write_shard(path: Path, examples: Iterable[Example]) -> tuple[int, int]:
    """Write all examples to `path` atomically; return (rows, tokens)."""
    path = Path(path)
    schema = shard_schema()
    temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    rows = tokens = 0
    try:
        with ipc.new_file(str(temporary), schema) as writer:
            pending: list[Example] = []
            for example in examples:
                pending.append(example)
                if len(pending) == BATCH_ROWS:
                    writer.write_batch(examples_to_batch(pending, schema))
                    rows, tokens = rows + len(pending), tokens + sum(map(len, pending))
                    pending = []
            if pending:
                writer.write_batch(examples_to_batch(pending, schema))
                rows, tokens = rows + len(pending), tokens + sum(map(len, pending))
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return rows, tokens
