"""`ltdata stats A B`: each column equals a plain-Python recount of its build; vanilla builds have no cache tokens."""
from __future__ import annotations

import re
import statistics
from collections import Counter

import pyarrow.ipc as ipc
import pytest

from ltdata.views.compare import column_names, compare_builds, comparison_png, format_comparison, splitter_setting
from ltdata.views.stats import build_stats, format_stats

THOUGHT, SPLITTER, CACHE, CONTINUE = 2, 3, 4, 5


def rows_of(directory) -> list[dict]:
    return [r for p in sorted(directory.glob("shard-*.arrow")) for r in ipc.open_file(str(p)).read_all().to_pylist()]


def recount(directory) -> dict:
    """The compared figures, from the rows alone."""
    rows = rows_of(directory)
    blocks = Counter((n, t) for n, r in enumerate(rows) for role, t in zip(r["role"], r["thought_index"])
                     if role == THOUGHT)
    lengths = sorted(blocks.values())
    deciles = statistics.quantiles(lengths, n=10, method="inclusive")
    roles = Counter(x for r in rows for x in r["role"])
    return {"thoughts": statistics.mean(len({t for n, t in blocks if n == k}) for k in range(len(rows))),
            "p10": deciles[0], "p50": statistics.median(lengths), "p90": deciles[8],
            "overhead": (roles[SPLITTER] + roles[CACHE] + roles[CONTINUE]) / sum(roles.values())}


def cells(text: str, label: str) -> list[str]:
    line = next(line for line in text.splitlines() if line.startswith(label + "  "))
    return re.split(r"\s{2,}", line[len(label):].strip())


def test_vanilla_builds_report_no_cache_tokens(vanilla_dir):
    stats = build_stats(vanilla_dir)
    assert stats["cache_tokens"] == 0
    assert format_stats(stats).splitlines()[0] == f"{vanilla_dir}  (mode vanilla, no cache tokens)"


def test_each_column_is_a_recount_of_its_build(build_dir, vanilla_dir):
    text = format_comparison(compare_builds([build_dir, vanilla_dir]))
    lines = text.splitlines()
    assert re.split(r"\s{2,}", lines[0].strip()) == [build_dir.name, vanilla_dir.name]
    built, plain = recount(build_dir), recount(vanilla_dir)
    assert cells(text, "splitter") == ["thought max_chars=400 K=4", "thought"]
    assert cells(text, "mode") == ["lightthinker", "vanilla"]
    assert cells(text, "cache tokens per thought") == ["2", "0"]
    assert cells(text, "records") == ["5", "4"]
    for label, key in (("thoughts per record (mean)", "thoughts"), ("tokens per thought p10", "p10"),
                       ("tokens per thought p50", "p50"), ("tokens per thought p90", "p90")):
        assert cells(text, label) == [f"{built[key]:,.1f}", f"{plain[key]:,.1f}"], label
    assert cells(text, "overhead share") == [f"{100 * built['overhead']:.1f}%", "0.0%"]
    assert built["overhead"] > 0.1
    stats = build_stats(build_dir)["compression"]
    assert cells(text, "peak KV / vanilla") == [f"{stats['peak_tokens']['ratio_of_sums']:.3f}", "1.000"]
    assert cells(text, "Dep / vanilla") == [f"{stats['dep']['ratio_of_sums']:.3f}", "1.000"]


def test_columns_are_named_by_directory_unless_two_share_a_name(tmp_path):
    assert column_names([tmp_path / "a" / "out", tmp_path / "b"]) == ["out", "b"]
    assert column_names(["x/out", "y/out", "z"]) == ["x/out", "y/out", "z"]


@pytest.mark.parametrize("config, shown", [
    ({"splitter": "tokens", "splitter_options": {"tokens": 64}}, "tokens tokens=64"),
    ({"splitter": "balanced", "splitter_options": {}, "min_thought_tokens": 36, "max_thought_tokens": 256},
     "balanced K=36 M=256"),
    ({}, "?"),
])
def test_splitter_setting(config, shown):
    assert splitter_setting({"config": config}) == shown


def test_comparison_png_is_a_png(build_dir, vanilla_dir, tmp_path):
    comparison_png([build_dir, vanilla_dir], tmp_path / "c.png")
    data = (tmp_path / "c.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 1000
