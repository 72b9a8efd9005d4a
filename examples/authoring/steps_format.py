"""A worked format plugin: worked solutions as a list of steps, each step one hand-split thought.

Records: `{"id": ..., "problem": ..., "steps": ["...", ...], "final": ...}` (see `steps.jsonl`). The
steps are the thoughts, used as given (no splitter runs); each ends with the blank line that
separates it from the next, so the assistant text reads naturally. `final` is trained uncompressed.

Use: `ltdata build --format steps_format:StepsFormat` with this directory importable, or install a
package that declares the entry point (`pyproject.toml` here), then `--format steps`.
"""
from __future__ import annotations

from typing import Any

from ltdata import Origin, RecordError, Trace


class StepsFormat:
    """Worked solutions: problem, a list of steps (one thought each) and a final answer."""

    name = "steps"

    def detect(self, record: dict[str, Any]) -> bool:
        return "problem" in record and isinstance(record.get("steps"), list)

    def to_trace(self, record: dict[str, Any], origin: Origin) -> Trace:
        record_id = str(record["id"]) if "id" in record else None
        steps = record.get("steps")
        if not isinstance(steps, list) or not steps or not all(isinstance(s, str) and s.strip() for s in steps):
            raise RecordError("must be a non-empty list of non-blank strings", origin=origin, record_id=record_id,
                              field="steps", reason="wrong_type")
        return Trace(prompt=record.get("problem"), thoughts=[step.strip() + "\n\n" for step in steps],
                     answer=record.get("final", ""), record_id=record_id, origin=origin)
