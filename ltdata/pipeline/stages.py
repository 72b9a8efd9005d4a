"""The record path that `build`'s tasks, `ltdata.layout` and `write_shards` share, one stage at a time.

raw record -> `Trace` (the format) -> thought spans (the splitter) -> `Example` (the layouter), with
every failure going to one `Rejects`. Sharing the stages is what makes `ltdata.layout(record)` the
row a build writes. The values here are frozen and hashable, so worker processes can cache the
splitter and formats they make from them.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ltdata.errors import RecordError
from ltdata.readers.sources import RawRecord
from ltdata.records import Example, Trace
from ltdata.sequence.builder import Dropped, Layouter
from ltdata.shards.validate import ExampleError

LAYOUT_CHUNK = 64       # records per tokenizer call: large enough to batch, small enough to stream


@dataclass(frozen=True, slots=True)
class Options:
    """A JSON-like mapping as a hashable value (nested mappings and lists frozen too)."""

    items: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def of(cls, mapping: Mapping[str, Any] | None) -> Options:
        return cls(tuple(sorted((str(k), _freeze(v)) for k, v in (mapping or {}).items())))

    def to_dict(self) -> dict[str, Any]:
        return {k: _thaw(v) for k, v in self.items}


def _freeze(value: Any) -> Any:
    if isinstance(value, Mapping):
        return Options.of(value)
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    return value


def _thaw(value: Any) -> Any:
    if isinstance(value, Options):
        return value.to_dict()
    if isinstance(value, tuple):
        return [_thaw(v) for v in value]
    return value


@dataclass(frozen=True, slots=True)
class SplitterChoice:
    """Which splitter, with which options and thought-length bounds: what `make_splitter` needs."""

    name: str
    options: Options = Options()
    min_thought_tokens: int | None = None
    max_thought_tokens: int | None = None

    @classmethod
    def from_config(cls, cfg: Any) -> SplitterChoice:
        return cls(name=cfg.splitter, options=Options.of(cfg.splitter_options),
                   min_thought_tokens=cfg.min_thought_tokens, max_thought_tokens=cfg.max_thought_tokens)

    def make(self, tokenizer: Any = None) -> Any:
        from ltdata.splitters import make_splitter

        return make_splitter(self.name, self.options.to_dict(), tokenizer=tokenizer,
                             min_thought_tokens=self.min_thought_tokens, max_thought_tokens=self.max_thought_tokens)


@dataclass(slots=True)
class Rejects:
    """Records that failed a stage: raised at once under `on_error="raise"`, else counted per reason and kept."""

    on_error: str = "raise"
    counts: dict[str, int] = field(default_factory=dict)
    lines: list[dict] = field(default_factory=list)     # the rejects.jsonl lines

    def add(self, error: RecordError | ExampleError) -> None:
        if self.on_error == "raise":
            raise error
        self.counts[error.reason] = self.counts.get(error.reason, 0) + 1
        self.lines.append(error.to_reject())

    @staticmethod
    def total(many: Iterable[Rejects]) -> dict[str, int]:
        """Counts per reason over several, sorted by reason (the manifest's `rejected`)."""
        counts: dict[str, int] = {}
        for rejects in many:
            for reason, n in rejects.counts.items():
                counts[reason] = counts.get(reason, 0) + n
        return dict(sorted(counts.items()))


@dataclass(slots=True)
class TaskResult:
    """What one shard's worth of records came to: a few counters, never data."""

    index: int
    shard: str | None = None
    rows: int = 0
    tokens: int = 0
    read: int = 0
    dropped: int = 0
    truncated: int = 0
    rejects: Rejects = field(default_factory=Rejects)

    def to_json(self) -> dict[str, Any]:
        return {"index": self.index, "shard": self.shard, "rows": self.rows, "tokens": self.tokens,
                "read": self.read, "dropped": self.dropped, "truncated": self.truncated,
                "rejected": self.rejects.counts, "rejects": self.rejects.lines}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TaskResult:
        fields = dict(data)
        rejects = Rejects(on_error="skip", counts=fields.pop("rejected"), lines=fields.pop("rejects"))
        return cls(**fields, rejects=rejects)


def thought_spans(trace: Trace, splitter: Any, name: str) -> list[tuple[int, int]]:
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


def split_records(raws: Iterable[RawRecord], fmt: Any, splitter: Any, splitter_name: str, rejects: Rejects,
                  result: TaskResult) -> Iterator[tuple[Trace, list[tuple[int, int]]]]:
    """Parse stage and split stage: each readable record as its trace and thought spans."""
    for raw in raws:
        result.read += 1
        try:
            if raw.error is not None:
                raise raw.error
            trace = fmt.to_trace(raw.value, raw.origin)
            yield trace, thought_spans(trace, splitter, splitter_name)
        except RecordError as error:
            rejects.add(error)


def lay_out(pairs: Iterable[tuple[Trace, list[tuple[int, int]]]], layouter: Layouter, rejects: Rejects,
            result: TaskResult) -> Iterator[Example]:
    """Layout stage, in chunks of `LAYOUT_CHUNK` (one tokenizer call each); over-long records count as dropped."""
    chunk: list[tuple[Trace, list[tuple[int, int]]]] = []
    for pair in pairs:
        chunk.append(pair)
        if len(chunk) == LAYOUT_CHUNK:
            yield from _laid_out(chunk, layouter, rejects, result)
            chunk = []
    yield from _laid_out(chunk, layouter, rejects, result)


def _laid_out(chunk: list[tuple[Trace, list[tuple[int, int]]]], layouter: Layouter, rejects: Rejects,
              result: TaskResult) -> Iterator[Example]:
    for item in layouter.lay_out_many(chunk):
        if isinstance(item, RecordError):
            rejects.add(item)
        elif isinstance(item, Dropped):
            result.dropped += 1
        else:
            result.truncated += item.truncated
            yield item
