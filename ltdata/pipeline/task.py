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
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator

from ltdata.errors import RecordError
from ltdata.sequence.builder import Dropped, Layouter, LayoutSettings
from ltdata.sequence.codec import LazyTokenizer, SpecialIds, load_rust_codec
from ltdata.readers.sources import SourceSlice, read_slice
from ltdata.records import Example, Trace
from ltdata.shards.manifest import write_json_atomic
from ltdata.shards.writer import write_shard

LAYOUT_CHUNK = 64
PARTS_DIR = ".parts"


@dataclass(frozen=True, slots=True)
class BuildJob:
    """What every task of one build shares (small and picklable)."""

    key: str
    output: str
    tokenizer_dir: str
    splitter: str
    splitter_options_json: str
    fields_json: str
    layout: LayoutSettings
    on_error: str
    min_thought_tokens: int | None = None
    max_thought_tokens: int | None = None
    specials: SpecialIds | None = None     # None: load the tokenizer with transformers


@dataclass(frozen=True, slots=True)
class BuildTask:
    index: int
    piece: SourceSlice
    format_name: str

    @property
    def shard_name(self) -> str:
        return f"shard-{self.index:05d}.arrow"


@dataclass(slots=True)
class TaskResult:
    index: int
    shard: str | None = None
    rows: int = 0
    tokens: int = 0
    read: int = 0
    dropped: int = 0
    truncated: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    rejects: list[dict] = field(default_factory=list)


@lru_cache(maxsize=4)
def _worker_state(job: BuildJob) -> tuple[Any, Layouter]:
    from ltdata.splitters import make_splitter

    if job.specials is not None:
        codec, tokenizer = load_rust_codec(job.tokenizer_dir, job.specials), LazyTokenizer(job.tokenizer_dir)
    else:
        from transformers import AutoTokenizer

        codec = tokenizer = AutoTokenizer.from_pretrained(job.tokenizer_dir)
    splitter = make_splitter(job.splitter, json.loads(job.splitter_options_json), tokenizer=tokenizer,
                             min_thought_tokens=job.min_thought_tokens, max_thought_tokens=job.max_thought_tokens)
    return splitter, Layouter(codec, job.layout)


@lru_cache(maxsize=16)
def _format(name: str, fields_json: str):
    from ltdata.readers.formats import resolve_format

    return resolve_format(name, fields=json.loads(fields_json))


def thought_spans(trace: Trace, splitter, name: str) -> list[tuple[int, int]]:
    """Hand-split thoughts are used as given; otherwise the splitter decides (and is checked)."""
    from ltdata.splitters import split_checked

    if trace.thoughts is None:
        return split_checked(splitter, trace.reasoning, name=name)
    spans, start = [], 0
    for k, thought in enumerate(trace.thoughts):
        if not thought:
            raise RecordError("is empty", origin=trace.origin, record_id=trace.record_id,
                              field=f"thoughts[{k}]", reason="empty_thought")
        spans.append((start, start + len(thought)))
        start += len(thought)
    return spans


def run_task(task: BuildTask, job: BuildJob) -> TaskResult:
    """Build one shard; raise the first RecordError under on_error=raise."""
    splitter, layouter = _worker_state(job)
    fmt = _format(task.format_name, job.fields_json)
    result = TaskResult(index=task.index)

    def reject(error: RecordError) -> None:
        if job.on_error == "raise":
            raise error
        result.rejected[error.reason] = result.rejected.get(error.reason, 0) + 1
        result.rejects.append(error.to_reject())

    def laid_out(chunk: list[tuple[Trace, list]]) -> Iterator[Example]:
        for item in layouter.lay_out_many(chunk):
            if isinstance(item, RecordError):
                reject(item)
            elif isinstance(item, Dropped):
                result.dropped += 1
            else:
                result.truncated += item.truncated
                yield item

    def examples() -> Iterator[Example]:
        chunk: list[tuple[Trace, list]] = []
        for raw in read_slice(task.piece):
            result.read += 1
            try:
                if raw.error is not None:
                    raise raw.error
                trace = fmt.to_trace(raw.value, raw.origin)
                chunk.append((trace, thought_spans(trace, splitter, job.splitter)))
            except RecordError as error:
                reject(error)
            if len(chunk) == LAYOUT_CHUNK:
                yield from laid_out(chunk)
                chunk = []
        yield from laid_out(chunk)

    output = Path(job.output)
    shard_path = output / task.shard_name
    result.rows, result.tokens = write_shard(shard_path, examples())
    if result.rows:
        result.shard = task.shard_name
    else:
        shard_path.unlink(missing_ok=True)
    write_json_atomic(output / PARTS_DIR / f"{task.index:05d}.json", asdict(result))
    return result


def load_part(output: Path, index: int) -> TaskResult | None:
    """A finished task's result, if its part file (and shard) are there."""
    path = output / PARTS_DIR / f"{index:05d}.json"
    if not path.exists():
        return None
    result = TaskResult(**json.loads(path.read_text(encoding="utf-8")))
    if result.shard and not (output / result.shard).exists():
        return None
    return result
