"""One build task: a slice of one input file in, one shard and a small result out.

Runs on a Dask worker. The tokenizer, splitter and formats are loaded once per worker process
(cached by the job's key), records stream through in chunks so memory stays flat, and the result
sent back is a few counters, never data. The tokenizer is the saved tokenizer.json, loaded with
`tokenizers` alone; transformers is imported only for a tokenizer that needs it (the driver says
so) or a splitter that uses the tokenizer. A finished task leaves `.parts/NNNNN.json`, which is how a
resumed build knows not to redo it.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from ltdata.pipeline.stages import Options, Rejects, SplitterChoice, TaskResult, lay_out, split_records
from ltdata.readers.sources import SourceSlice, read_slice
from ltdata.sequence.builder import Layouter, LayoutSettings
from ltdata.sequence.codec import LazyTokenizer, SpecialIds, load_rust_codec
from ltdata.shards.manifest import write_json_atomic
from ltdata.shards.writer import write_shard

PARTS_DIR = ".parts"


@dataclass(frozen=True, slots=True)
class BuildJob:
    """What every task of one build shares (small, picklable and hashable: workers cache on it)."""

    key: str
    output: str
    tokenizer_dir: str
    splitter: SplitterChoice
    fields: Options
    layout: LayoutSettings
    on_error: str
    specials: SpecialIds | None = None     # None: load the tokenizer with transformers


@dataclass(frozen=True, slots=True)
class BuildTask:
    index: int
    piece: SourceSlice
    format_name: str

    @property
    def shard_name(self) -> str:
        return f"shard-{self.index:05d}.arrow"


@lru_cache(maxsize=4)
def _worker_state(job: BuildJob) -> tuple[Any, Layouter]:
    if job.specials is not None:
        codec, tokenizer = load_rust_codec(job.tokenizer_dir, job.specials), LazyTokenizer(job.tokenizer_dir)
    else:
        from transformers import AutoTokenizer

        codec = tokenizer = AutoTokenizer.from_pretrained(job.tokenizer_dir)
    return job.splitter.make(tokenizer), Layouter(codec, job.layout)


@lru_cache(maxsize=16)
def _format(name: str, fields: Options):
    from ltdata.readers.formats import resolve_format

    return resolve_format(name, fields=fields.to_dict())


def run_task(task: BuildTask, job: BuildJob) -> TaskResult:
    """Build one shard; raise the first RecordError under on_error=raise."""
    splitter, layouter = _worker_state(job)
    result = TaskResult(index=task.index, rejects=Rejects(on_error=job.on_error))
    pairs = split_records(read_slice(task.piece), _format(task.format_name, job.fields), splitter,
                          job.splitter.name, result.rejects, result)
    output = Path(job.output)
    shard_path = output / task.shard_name
    result.rows, result.tokens = write_shard(shard_path, lay_out(pairs, layouter, result.rejects, result))
    if result.rows:
        result.shard = task.shard_name
    else:
        shard_path.unlink(missing_ok=True)
    write_json_atomic(output / PARTS_DIR / f"{task.index:05d}.json", result.to_json())
    return result


def load_part(output: Path, index: int) -> TaskResult | None:
    """A finished task's result, if its part file (and shard) are there."""
    path = output / PARTS_DIR / f"{index:05d}.json"
    if not path.exists():
        return None
    result = TaskResult.from_json(json.loads(path.read_text(encoding="utf-8")))
    if result.shard and not (output / result.shard).exists():
        return None
    return result
