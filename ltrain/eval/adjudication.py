"""Manual verdicts that outlive the process: `(dataset, item id, normalised answer) -> correct|wrong`.

The reference asked a human and then forgot the answer on exit. Here each verdict is one JSONL line,
appended and fsynced the moment it is given, so an interrupted session keeps every verdict so far;
later lines win, and one file can serve several runs (the key names no method or checkpoint).
"""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

from ltdata.errors import Origin, RecordError
from ltrain.eval.jsonl import append_line, open_for_append, read_jsonl

ManualVerdict = Literal["correct", "wrong"]
VERDICTS: tuple[str, ...] = ("correct", "wrong")


class Adjudications:
    """The verdicts in one file (which need not exist yet); `record` appends to it."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        records, self._intact = read_jsonl(self.path)
        self._verdicts: dict[tuple[str, str, str], ManualVerdict] = {}
        for index, record in enumerate(records):
            self._verdicts[self._key(record, index)] = record["verdict"]

    def _key(self, record: dict, index: int) -> tuple[str, str, str]:
        for name in ("dataset", "id", "answer"):
            if not isinstance(record.get(name), str):
                raise RecordError("is missing or not a string", origin=Origin(str(self.path), index),
                                  field=name)
        if record.get("verdict") not in VERDICTS:
            raise RecordError(f"must be one of {VERDICTS}, got {record.get('verdict')!r}",
                              origin=Origin(str(self.path), index), field="verdict")
        return record["dataset"], record["id"], record["answer"]

    def __len__(self) -> int:
        return len(self._verdicts)

    def get(self, dataset: str, item_id: str, answer: str | None) -> ManualVerdict | None:
        if answer is None:
            return None
        return self._verdicts.get((dataset, item_id, answer))

    def record(self, dataset: str, item_id: str, answer: str, verdict: ManualVerdict, *,
               gold: str | None = None) -> None:
        """Store a verdict now (one durable line), replacing any earlier one for the same key."""
        if verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {VERDICTS}, got {verdict!r}")
        line = {"dataset": dataset, "id": item_id, "answer": answer, "verdict": verdict, "gold": gold,
                "at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        with open_for_append(self.path, self._intact) as fh:
            append_line(fh, line)
        self._intact = self.path.stat().st_size
        self._verdicts[(dataset, item_id, answer)] = verdict
