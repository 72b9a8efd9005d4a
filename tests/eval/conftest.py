"""Fixtures for the eval tests: the real benchmark items in tests/data/eval, loaded by hand-picked path."""
from __future__ import annotations

from pathlib import Path

import pytest

from ltrain.eval.readers import load_benchmark

EVAL_DATA = Path(__file__).resolve().parents[1] / "data" / "eval"


@pytest.fixture(scope="session")
def eval_data() -> Path:
    return EVAL_DATA


@pytest.fixture(scope="session")
def items():
    """Items by (format, index) for the judge tests."""
    return {
        "gsm8k": load_benchmark("gsm8k", path=EVAL_DATA / "gsm8k_test_items301-306.jsonl"),
        "mmlu_csv": load_benchmark("mmlu", path=EVAL_DATA / "mmlu_hendrycks_csv"),
        "mmlu_qwen": load_benchmark("mmlu", path=EVAL_DATA / "mmlu_stem_qwen25math_format.jsonl"),
        "bbh": load_benchmark("bbh", path=EVAL_DATA / "bbh"),
        "lt_bbh": load_benchmark("bbh", path=EVAL_DATA / "lightthinker" / "bbh.json"),
        "lt_mmlu": load_benchmark("mmlu", path=EVAL_DATA / "lightthinker" / "mmlu.json"),
    }
