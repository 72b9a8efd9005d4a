"""Score stored samples: extract the last box, judge it, then apply manual verdicts where the rules
left it open. Used after every generation and, unchanged, by `ltrain eval score` to re-judge a run.

Two verdicts per sample: `auto_verdict` (rules only) and `verdict` (rules, then the adjudication
file), so the report can show automatic and adjudicated accuracy side by side.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from ltdata.errors import Origin, RecordError
from ltrain.eval.adjudication import Adjudications
from ltrain.eval.extract import last_boxed
from ltrain.eval.jsonl import read_jsonl, write_jsonl_atomic
from ltrain.eval.judge import judge
from ltrain.eval.samples import item_of, sample_files

ADJUDICATIONS_FILE = "adjudications.jsonl"


def default_adjudications(out_dir: str | Path) -> Path:
    return Path(out_dir) / ADJUDICATIONS_FILE


def score_sample(sample: dict[str, Any], adjudications: Adjudications | None = None, *,
                 rel_tol: float = 1e-6) -> dict[str, Any]:
    """`sample` with answer, normalized, auto_verdict, verdict, reason and manual filled in."""
    item = item_of(sample)
    answer = last_boxed(sample["output"])
    judgement = judge(item, answer, rel_tol=rel_tol)
    manual = None
    if judgement.verdict == "unresolved" and adjudications is not None:
        manual = adjudications.get(item.dataset, item.id, judgement.normalized)
    return {**sample, "answer": answer, "normalized": judgement.normalized, "auto_verdict": judgement.verdict,
            "verdict": manual or judgement.verdict, "reason": judgement.reason, "manual": manual is not None}


def _score_file(path: Path, adjudications: Adjudications | None) -> list[dict[str, Any]]:
    scored = []
    for index, sample in enumerate(read_jsonl(path)[0]):
        try:
            scored.append(score_sample(sample, adjudications))
        except (KeyError, TypeError, ValueError) as exc:
            raise RecordError(f"is not a complete sample ({type(exc).__name__}: {exc})",
                              origin=Origin(str(path), index), record_id=sample.get("id")) from None
    return scored


def load_scored(out_dir: str | Path, adjudications: Adjudications | None = None) -> list[dict[str, Any]]:
    """Every sample of a run, re-scored in memory (the files are not touched)."""
    return [s for path in sample_files(out_dir) for s in _score_file(path, adjudications)]


def rescore_dir(out_dir: str | Path, adjudications: Adjudications | None = None) -> list[dict[str, Any]]:
    """Re-score a run and rewrite its sample files atomically (a torn last line is dropped)."""
    scored: list[dict[str, Any]] = []
    for path in sample_files(out_dir):
        samples = _score_file(path, adjudications)
        write_jsonl_atomic(path, samples)
        scored += samples
    return scored
