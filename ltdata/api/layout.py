"""`ltdata.layout` and `ltdata.explain`: one sample laid out and shown in a notebook, without files.

The tokenizer and layouter are the ones `build` uses (`pipeline.prepared`, cached per configuration:
a loop over many traces loads the tokenizer once), the splitter is made by the same `make_splitter`,
and the record goes through the same formats and checks, so the `Example` seen here is the row a
build writes.
"""
from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from ltdata.config import BuildConfig
from ltdata.errors import ConfigError, Origin, RecordError
from ltdata.sequence.builder import Dropped
from ltdata.pipeline.prepared import LayoutKey, prepared, prepared_for
from ltdata.pipeline.stages import SplitterChoice, thought_spans
from ltdata.readers.memory import MEMORY
from ltdata.records import Example, Trace


@lru_cache(maxsize=16)
def _splitter(key: LayoutKey, choice: SplitterChoice) -> Any:
    return choice.make(prepared_for(key).tokenizer)


def layout(trace: Trace | Mapping[str, Any], config: BuildConfig | None = None, /, **overrides: Any) -> Example:
    """Lay out one trace (or one raw record, read with `config.format`) as `build` would.

    Raises what a build under `on_error="raise"` raises for the record; an over-long sample is a
    `RecordError` (reason `overlong`) rather than a silent drop.
    """
    cfg = (config or BuildConfig()).replace(**overrides) if overrides else (config or BuildConfig())
    current = prepared(cfg)
    splitter = _splitter(current.key, SplitterChoice.from_config(cfg))
    parsed = _to_trace(trace, Origin(file=MEMORY, index=0), cfg)
    spans = thought_spans(parsed, splitter, cfg.splitter)
    (item,) = current.layout.layouter.lay_out_many([(parsed, spans)])
    if isinstance(item, RecordError):
        raise item
    if isinstance(item, Dropped):
        raise RecordError(f"is {item.length} tokens, over max_length={cfg.max_length} (a build would drop it; "
                          "set max_length=None or overlong='truncate')", origin=parsed.origin,
                          record_id=parsed.record_id, reason="overlong")
    item.tokenizer = current.tokenizer
    return item


def _to_trace(record: Any, origin: Origin, cfg: BuildConfig) -> Trace:
    from ltdata.readers.formats import detect_format, resolve_format
    from ltdata.readers.formats.trace import TraceFormat, check_trace_options

    if isinstance(record, Trace):
        check_trace_options(cfg.format, cfg.fields)
        return TraceFormat().to_trace(record, origin)
    if not isinstance(record, Mapping):
        raise ConfigError(f"layout: expected an ltdata.Trace or a record dict, got {type(record).__name__}")
    fmt = (resolve_format(cfg.format, fields=cfg.fields) if cfg.format != "auto"
           else detect_format(record, origin, fields=cfg.fields))
    return fmt.to_trace(dict(record), origin)


def explain(example: Example, tokenizer: Any = None, *, color: bool = True, width: int = 100,
            mask_size: int = 48) -> str:
    """The view `ltdata inspect` prints: the sample coloured by role, its numbers and its mask drawn small.

    `tokenizer` (an object or a path, e.g. `out/tokenizer`) may be left out for examples made by
    `ltdata.layout`, which remember theirs.
    """
    from ltdata.pipeline.tokenizer import load_tokenizer
    from ltdata.views.explain import explain as render

    if tokenizer is None:
        tokenizer = example.tokenizer if isinstance(example, Example) else None
        if tokenizer is None:
            raise ConfigError("explain: this Example was not made by ltdata.layout; pass tokenizer= (an object, "
                              "or a build's tokenizer directory such as 'out/tokenizer')")
    elif isinstance(tokenizer, str):
        tokenizer = load_tokenizer(tokenizer)
    return render(example, tokenizer, color=color, width=width, mask_size=mask_size)
