"""The benchmarks still run: each `python -m bench.NAME --quick` prints its table.

Run as users run them (a subprocess each); nothing here looks at a timing, only that every figure
of the table is there with a verdict, and that the baseline still does the same job as the build.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def run_bench(module: str, out: Path | None = None) -> str:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    where = ["--out", str(out)] if out is not None else []
    done = subprocess.run([sys.executable, "-m", f"bench.{module}", "--quick", *where],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.mark.slow
def test_build_benchmark_prints_every_figure_with_a_verdict(tmp_path):
    out = run_bench("build", tmp_path)
    lines = {line.split("  ")[0]: line for line in out.splitlines()}
    assert out.startswith("ltdata build benchmark: 48 records, ")
    for name in ("raw tokenizer, whole records, 1 thread", "raw tokenizer, build's segments, 1 thread",
                 "raw tokenizer, whole records, all cores", "build, 1 worker, end to end",
                 "build, 2 workers, end to end"):
        assert " wall " in lines[name] and " cpu " in lines[name], lines[name]
    for name in ("build, 1 worker, steady state", "build, 2 workers, steady state"):
        assert lines[name].rstrip().endswith("wall"), lines[name]
    assert " s  (" in lines["first build of a tokenizer (prepares it), 4 records, CLI"]
    for name in ("start-up: 4-record build, CLI", "quick start: ltdata build --splitter thought",
                 "build 2 workers steady state / raw all cores", "build 2 workers end to end / raw all cores",
                 "build 1 worker / faster raw tokenizer, per core", "build 1 worker / reference-style, per core",
                 "speed-up 1 -> 2 workers (wall, end to end)", "bytes per token on disk"):
        assert lines[name].endswith(("PASS", "MISS")), lines[name]
    assert "equals its shard row (ids, labels, mask): True" in out
    assert sorted(p.name for p in tmp_path.glob("build-*w")) == ["build-1w", "build-2w"]


@pytest.mark.slow
def test_build_benchmark_times_one_task_by_stage(tmp_path):
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "LTDATA_CACHE": str(tmp_path / "cache")}
    done = subprocess.run([sys.executable, "-m", "bench.build", "--records", "48", "--profile", "8",
                           "--out", str(tmp_path)], cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    shares = {line.split("  ")[0]: float(line.split("%")[0].split()[-1]) for line in done.stdout.splitlines()
              if line.rstrip().endswith("%")}
    assert {"tokenising (Rust encode, ids to lists)", "lossless check (Rust decode)", "reading and parsing JSON",
            "Arrow writing, chunking"} <= set(shares), shares
    assert abs(sum(shares.values()) - 100) < 0.5
    assert "tok/cpu-s" in done.stdout and "tokenizer.json load, once per worker" in done.stdout


@pytest.mark.slow
def test_memory_benchmark_prints_both_peaks_and_the_ratio(tmp_path):
    out = run_bench("memory", tmp_path)
    lines = out.splitlines()
    assert lines[0].startswith("ltdata build memory: 1 worker(s), shard_size 4")
    assert any(line.startswith("8 records (") and "2 shards" in line and "MiB sampled" in line for line in lines)
    assert any(line.startswith("80 records (") and "20 shards" in line for line in lines)
    ratios = [line for line in lines if line.startswith("peak worker RSS 10X / X")]
    assert len(ratios) == 2 and all(line.endswith(("PASS", "MISS")) for line in ratios)


def verdicts(out: str) -> dict[str, str]:
    """figure name -> PASS / MISS for every line of the table that has a target."""
    found = {}
    for line in out.splitlines():
        if line.rstrip().endswith(("PASS", "MISS")):
            found[line.split("  ")[0]] = line.rstrip().rsplit(" ", 1)[1]
    return found


@pytest.mark.slow
def test_masks_benchmark_prints_every_figure_with_a_verdict():
    found = verdicts(run_bench("masks"))
    assert found["ltdata mask equals reference-style mask"] == "PASS"
    for name in ("mask speed-up vs reference-style", "mask metadata per sample (L=4096)",
                 "train step overhead, mask / causal"):
        assert name in found, found


@pytest.mark.slow
def test_generate_benchmark_compares_the_methods():
    out = run_bench("generate")
    rows = {line.split()[0]: line for line in out.splitlines() if line.split()[:1] in (["vanilla"], ["lightthinker"],
                                                                                          ["h2o"])}
    assert set(rows) == {"vanilla", "lightthinker", "h2o"}
    assert {"emitted tok/cpu-s LT vs vanilla", "last-quarter tok/cpu-s LT / vanilla"} <= set(verdicts(out))
