"""The splitter benchmark still runs: `python -m bench.splitters --quick` prints every setting and its verdict."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_splitter_benchmark_prints_every_setting_with_a_verdict():
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-m", "bench.splitters", "--quick"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    rows = {line.split("  ")[0]: line for line in done.stdout.splitlines()}
    assert done.stdout.startswith("ltdata splitter benchmark: 12 traces, ")
    for name in ("thought", "sentence", "tokens (64)", "thought K=36", "thought K=36 M=256", "balanced",
                 "balanced K=36 M=256", "layout encode (yardstick)"):
        assert len(rows[name].split()) >= 6, name
    assert rows["balanced / tokens splitter"].rstrip().endswith(("PASS", "MISS"))
