"""Benchmark readers: `load_benchmark("gsm8k", data_dir=DIR)` -> `list[EvalItem]`.

Each dataset has one converter that recognises its public layouts by their fields (see the
modules), so the same call reads the official files, HF exports and LightThinker's eval files.
Item ids are `<task or file>/<index>` (GPQA: its `Record ID` when present) and must be unique.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from ltdata.errors import ConfigError
from ltrain.eval.items import EvalItem
from ltrain.eval.readers.bbh import bbh_item
from ltrain.eval.readers.choices import gpqa_item, mmlu_item
from ltrain.eval.readers.files import benchmark_files, dataset_root, read_rows
from ltrain.eval.readers.gsm8k import gsm8k_item
from ltrain.eval.readers.rows import Row

CONVERTERS: dict[str, Callable[[Row, str], EvalItem]] = {
    "gsm8k": gsm8k_item, "mmlu": mmlu_item, "gpqa": gpqa_item, "bbh": bbh_item}
DATASETS: tuple[str, ...] = tuple(CONVERTERS)


def load_benchmark(name: str, *, data_dir: str | Path | None = None, path: str | Path | None = None,
                   limit: int | None = None) -> list[EvalItem]:
    """The items of dataset `name` from `path` or `data_dir/name`, in file order; `limit` = the first N."""
    if name not in CONVERTERS:
        raise ConfigError(f"datasets: unknown dataset {name!r}; choose from {', '.join(DATASETS)}")
    root = dataset_root(name, data_dir, path)
    convert = CONVERTERS[name]
    items: list[EvalItem] = []
    seen: dict[str, str] = {}
    counters: dict[str, int] = {}
    for file in benchmark_files(root):
        for row in read_rows(file, root):
            prefix = row.group or row.stem
            index = counters.get(prefix, 0)
            counters[prefix] = index + 1
            item = convert(row, f"{prefix}/{index}")
            if item.id in seen:
                raise ConfigError(f"data: {name} item id {item.id!r} occurs twice: {seen[item.id]} and {item.source}")
            seen[item.id] = item.source
            items.append(item)
            if limit is not None and len(items) >= limit:
                return items
    return items


__all__ = ["DATASETS", "load_benchmark"]
