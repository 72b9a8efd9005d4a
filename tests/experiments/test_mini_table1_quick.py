"""The `--quick` experiment end to end: behaviour, never timings.

It builds, trains and evaluates through the real commands, then asserts what the experiment exists
to show: the LightThinker model emits its splitters, carries the dial's value through its cache
tokens far above chance (10%), and loses that when the cache tokens are hidden too.
"""
from __future__ import annotations

import json
import sys

import pytest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    from experiments.mini_table1.__main__ import main

    out = tmp_path_factory.mktemp("mini") / "out"
    assert main(["--out", str(out), "--quick"]) == 0
    return out


def _carry(out) -> dict[str, dict]:
    import polars as pl

    return {row["model"]: row for row in pl.read_csv(out / "report" / "carry.csv").iter_rows(named=True)}


def test_report_files_are_written(quick_run):
    report = quick_run / "report"
    for name in ("table.md", "table.csv", "accuracy_vs_memory.png", "carry.csv", "summary.md", "targets.json"):
        assert (report / name).stat().st_size > 0, name
    assert len(json.loads((report / "targets.json").read_text())) == 8


def test_lightthinker_compresses_and_carries_through_its_cache(quick_run):
    carry = _carry(quick_run)
    light, control = carry["LightThinker (thought)"], carry["Control: LightThinker, cache hidden"]
    assert light["compressions_match"] >= 50        # it learned when to emit <|splitter|>
    assert light["carry"] >= 50                     # chance is 10%
    assert control["carry"] <= light["carry"] - 25  # hiding the cache tokens loses the value


def test_measured_memory_is_below_vanilla(quick_run):
    import polars as pl

    table = pl.read_csv(quick_run / "report" / "table.csv")
    print(table, file=sys.stderr)
    rows = {r["label"]: r for r in table.filter(pl.col("dataset") == "gsm8k").iter_rows(named=True)}
    assert rows["LightThinker (thought)"]["peak"] < 0.7 * rows["Vanilla"]["peak"]
