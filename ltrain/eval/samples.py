"""Per-sample outputs: one JSONL line per item with the prompt, the output text and its measurements.

Everything scoring needs (gold, kind, choices, output) is in the line, so `ltrain eval score`
re-judges a run without the data files or the model. Lines are appended as items finish, so a
killed eval resumes by skipping the ids already present (a torn last line is dropped and redone).
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from ltdata.errors import ConfigError
from ltrain.eval.items import EvalItem
from ltrain.eval.jsonl import append_line, open_for_append, read_jsonl

SAMPLES_DIR = "samples"
STATS_FIELDS = ("peak_tokens", "dep", "compressions", "output_tokens", "seconds")
ITEM_FIELDS = ("id", "dataset", "subset", "question", "gold", "kind", "choices", "choices_in_question", "source")


def samples_path(out_dir: str | Path, dataset: str) -> Path:
    return Path(out_dir) / SAMPLES_DIR / f"{dataset}.jsonl"


def sample_files(out_dir: str | Path) -> list[Path]:
    files = sorted((Path(out_dir) / SAMPLES_DIR).glob("*.jsonl"))
    if not files:
        raise ConfigError(f"{out_dir}: no {SAMPLES_DIR}/*.jsonl files (is this an `ltrain eval` output directory?)")
    return files


def new_sample(item: EvalItem, prompt: str, generation: Any) -> dict[str, Any]:
    """The unscored line for one generation (a `ltrain.generate.Generation`)."""
    stats = dataclasses.asdict(generation.stats)
    return {**item.to_dict(), "prompt": prompt, "output": generation.text, "finished": bool(generation.finished),
            "stats": {name: stats[name] for name in STATS_FIELDS}}


def item_of(sample: dict[str, Any]) -> EvalItem:
    return EvalItem.from_dict({name: sample.get(name) for name in ITEM_FIELDS})


class SampleFile:
    """One dataset's samples: what is done already, and an append handle for the rest."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        records, intact = read_jsonl(self.path)
        self.done: dict[str, dict[str, Any]] = {r["id"]: r for r in records}
        self._fh = open_for_append(self.path, intact)

    def append(self, sample: dict[str, Any]) -> None:
        append_line(self._fh, sample)
        self.done[sample["id"]] = sample

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> "SampleFile":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def check_same_items(self, items: list[EvalItem]) -> None:
        """Refuse to resume over samples whose question or gold changed (the data files differ)."""
        for item in items:
            old = self.done.get(item.id)
            if old is not None and (old.get("question"), old.get("gold")) != (item.question, item.gold):
                raise ConfigError(f"{self.path}: item {item.id!r} differs from the data now given (question or "
                                  "gold changed); use a new --out or --overwrite")
