"""Fixtures for the reader tests: the real records under `tests/data/readers/` and small builders."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[1] / "data" / "readers"


def _read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture
def data_dir() -> Path:
    return DATA


@pytest.fixture
def bespoke_records() -> list[dict]:
    """Three real Sky-T1 traces in Bespoke-Stratos layout (ids bs-00001..bs-00003)."""
    return _read_jsonl(DATA / "bespoke.jsonl")


@pytest.fixture
def sky_t1_records() -> list[dict]:
    """Three verbatim Sky-T1 eval-output records: closed, UNCLOSED (never ends its thought), closed."""
    return _read_jsonl(DATA / "sky-t1_minerva.jsonl")


@pytest.fixture
def marco_records() -> list[dict]:
    return json.loads((DATA / "marco.json").read_text(encoding="utf-8"))


@pytest.fixture
def write_jsonl(tmp_path):
    """Write raw lines (str or bytes) joined by newlines to `tmp_path/name`; return the path as str."""
    def write(name: str, lines: list[str | bytes]) -> str:
        path = tmp_path / name
        raw = [line if isinstance(line, bytes) else line.encode() for line in lines]
        path.write_bytes(b"".join(line + b"\n" for line in raw))
        return str(path)
    return write
