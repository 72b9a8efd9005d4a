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
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from ltdata.atomic import publish_once, remove, temporary_sibling
from ltdata.pipeline.destination import Destination
from ltdata.pipeline.tokenizer import TOKENIZER_DIR
from ltdata.pipeline.stages import Options, Rejects, SplitterChoice, TaskResult, lay_out, split_records
from ltdata.readers.sources import SourceSlice, read_slice
from ltdata.sequence.builder import Layouter, LayoutSettings
from ltdata.sequence.codec import LazyTokenizer, SpecialIds, load_rust_codec
from ltdata.shards.writer import write_shard

PARTS_DIR = ".parts"


@dataclass(frozen=True, slots=True)
class BuildJob:
    """What every task of one build shares (small, picklable and hashable: workers cache on it)."""

    key: str
    output: Destination
    splitter: SplitterChoice
    fields: Options
    layout: LayoutSettings
    on_error: str
    specials: SpecialIds | None = None     # None: load the tokenizer with transformers
    storage_options: Options = Options()   # for URL inputs; travels with the task, never written down


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
    directory = _tokenizer_here(job)
    if job.specials is not None:
        codec, tokenizer = load_rust_codec(directory, job.specials), LazyTokenizer(directory)
    else:
        from transformers import AutoTokenizer

        codec = tokenizer = AutoTokenizer.from_pretrained(directory)
    return job.splitter.make(tokenizer), Layouter(codec, job.layout)


def _tokenizer_here(job: BuildJob) -> str:
    """The build's saved tokenizer on this machine: the output's copy, fetched once per machine from a store."""
    if not job.output.remote:
        return job.output.join(TOKENIZER_DIR)
    local = Path(tempfile.gettempdir()) / f"ltdata-tokenizer-{job.key.removeprefix('sha256:')[:32]}"
    if not local.is_dir():            # worker processes on one machine may fetch it at once: the first copy stays
        temporary = temporary_sibling(local)
        try:
            job.output.get_tree(TOKENIZER_DIR, temporary)
            publish_once(temporary, local, complete=Path.is_dir)
        finally:
            remove(temporary)
    return str(local)


@lru_cache(maxsize=16)
def _format(name: str, fields: Options):
    from ltdata.readers.formats import resolve_format

    return resolve_format(name, fields=fields.to_dict())


def run_task(task: BuildTask, job: BuildJob) -> TaskResult:
    """Build one shard; raise the first RecordError under on_error=raise."""
    splitter, layouter = _worker_state(job)
    result = TaskResult(index=task.index, rejects=Rejects(on_error=job.on_error))
    records = read_slice(task.piece, storage_options=job.storage_options.to_dict())
    pairs = split_records(records, _format(task.format_name, job.fields), splitter, job.splitter.name,
                          result.rejects, result)
    with job.output.staged(task.shard_name) as shard:
        result.rows, result.tokens = write_shard(shard, lay_out(pairs, layouter, result.rejects, result))
        if not result.rows:
            shard.unlink()
    result.shard = task.shard_name if result.rows else None
    job.output.write_json(_part(task.index), result.to_json())
    return result


def load_part(output: Destination, index: int) -> TaskResult | None:
    """A finished task's result, if its part file (and shard) are there."""
    if not output.exists(_part(index)):
        return None
    result = TaskResult.from_json(json.loads(output.read_text(_part(index))))
    if result.shard and not output.exists(result.shard):
        return None
    return result


def _part(index: int) -> str:
    return f"{PARTS_DIR}/{index:05d}.json"
