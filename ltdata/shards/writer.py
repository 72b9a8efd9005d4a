"""Write examples to one Arrow IPC shard, atomically and in bounded memory.

Examples stream in and are written in record batches, so a shard of any size never sits in memory
whole; the file appears under its final name only once complete (temp name, then rename).
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

import numpy as np
import pyarrow as pa
import pyarrow.ipc as ipc

from ltdata.atomic import atomic_path
from ltdata.records import Example
from ltdata.shards.schema import TOKEN_COLUMNS, TOKEN_DTYPES, shard_schema

BATCH_ROWS = 64


def examples_to_batch(examples: list[Example], schema: pa.Schema | None = None) -> pa.RecordBatch:
    """Columnar Arrow batch from examples (list columns built from flat buffers + offsets)."""
    schema = schema or shard_schema()
    lengths = np.fromiter((len(e) for e in examples), dtype=np.int32, count=len(examples))
    offsets = _primitive(np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32), pa.int32())

    def tokens(column: str) -> pa.Array:
        dtype = TOKEN_DTYPES[column]
        flat = np.concatenate([getattr(e, column) for e in examples]) if examples else np.zeros(0, dtype)
        values = _primitive(flat.astype(dtype, copy=False), schema.field(column).type.value_type)
        return pa.ListArray.from_arrays(offsets, values)

    arrays = {
        "record_id": _strings([e.record_id for e in examples]),
        "source": _strings([e.source for e in examples]),
        **{column: tokens(column) for column in TOKEN_COLUMNS},
        "num_tokens": _primitive(lengths, pa.int32()),
        "num_thoughts": _primitive(np.array([e.num_thoughts for e in examples], dtype=np.int32), pa.int32()),
        "truncated": _booleans(np.array([e.truncated for e in examples], dtype=bool)),
    }
    return pa.RecordBatch.from_arrays([arrays[f.name] for f in schema], schema=schema)


# Arrays straight from buffers: `pa.array` imports pandas on first use (~0.7 CPU s in every worker
# process, as much as laying out a hundred records), and these columns never need it.
def _primitive(values: np.ndarray, arrow_type: pa.DataType) -> pa.Array:
    return pa.Array.from_buffers(arrow_type, len(values), [None, pa.py_buffer(np.ascontiguousarray(values))])


def _booleans(values: np.ndarray) -> pa.Array:
    return pa.Array.from_buffers(pa.bool_(), len(values), [None, pa.py_buffer(np.packbits(values, bitorder="little"))])


def _strings(values: list[str]) -> pa.Array:
    data = [v.encode("utf-8") for v in values]
    offsets = np.zeros(len(data) + 1, dtype=np.int32)
    np.cumsum(np.fromiter(map(len, data), dtype=np.int32, count=len(data)), out=offsets[1:])
    return pa.Array.from_buffers(pa.string(), len(values), [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(data))])


def write_shard(path: Path, examples: Iterable[Example]) -> tuple[int, int]:
    """Write all examples to `path` atomically; return (rows, tokens)."""
    path = Path(path)
    schema = shard_schema()
    rows = tokens = 0
    with atomic_path(path) as temporary, ipc.new_file(str(temporary), schema) as writer:
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
    return rows, tokens
