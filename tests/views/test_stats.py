"""`ltdata stats`: every number equals a plain-Python recount over the shard rows; table and PNG render."""
from __future__ import annotations

import json
import statistics
from collections import Counter

import pyarrow.ipc as ipc
import pytest

from ltdata.config import BuildConfig
from ltdata.sequence.prepare import prepare_layout
from ltdata.metrics import dependency, peak_tokens, record_metrics
from ltdata.shards.manifest import write_json_atomic
from ltdata.views.stats import build_stats, format_stats, stats_png

PROMPT, THOUGHT, SPLITTER, ANSWER, EOS = 1, 2, 3, 6, 7


def rows_of(build_dir) -> list[dict]:
    return [r for p in sorted(build_dir.glob("shard-*.arrow")) for r in ipc.open_file(str(p)).read_all().to_pylist()]


def summary(values: list[int]) -> dict:
    deciles = statistics.quantiles(values, n=10, method="inclusive")
    return {"total": sum(values), "mean": statistics.mean(values), "p10": deciles[0],
            "p50": statistics.median(values), "p90": deciles[8], "max": max(values)}


def peak(r: dict) -> int:
    """Largest number of cached keys (j <= i, not yet evicted: visible_until[j] >= i) over fed rows."""
    vu = r["visible_until"]
    return max(sum(1 for j in range(i + 1) if vu[j] >= i) for i in range(len(vu)) if r["role"][i] != EOS)


def dep(r: dict) -> int:
    af, vu, role = r["attend_from"], r["visible_until"], r["role"]
    return sum(1 for i in range(len(role)) if role[i] in (THOUGHT, SPLITTER, ANSWER)
               for j in range(i + 1) if af[i] <= j and i < vu[j])


def vanilla(r: dict) -> tuple[int, int]:
    p = r["role"].count(PROMPT)
    o = sum(1 for x in r["role"] if x in (THOUGHT, ANSWER))
    return p + o, sum(p + t for t in range(1, o + 1))


def test_build_stats_equals_a_plain_python_recount(build_dir):
    rows = rows_of(build_dir)
    stats = build_stats(build_dir)
    lengths = [len(r["input_ids"]) for r in rows]
    thoughts = [max(r["thought_index"]) + 1 for r in rows]
    blocks = Counter((n, t) for n, r in enumerate(rows) for role, t in zip(r["role"], r["thought_index"])
                     if role == THOUGHT)
    assert stats["records"] == 5 and stats["truncated"] == 1 == sum(r["truncated"] for r in rows)
    assert stats["tokens"] == pytest.approx(summary(lengths))
    assert stats["thoughts_per_record"] == pytest.approx(summary(thoughts))
    assert len(blocks) == sum(thoughts) == 8
    assert stats["tokens_per_thought"] == pytest.approx(summary(list(blocks.values())))
    roles = Counter(x for r in rows for x in r["role"])
    names = ["prompt", "thought", "splitter", "cache", "continue", "answer", "eos"]
    assert stats["roles"] == {name: {"tokens": roles[k], "share": pytest.approx(roles[k] / sum(lengths))}
                              for k, name in enumerate(names, start=1)}
    built = [(peak(r), dep(r)) for r in rows]
    base = [vanilla(r) for r in rows]
    for k, name in enumerate(("peak_tokens", "dep")):
        assert stats["compression"][name] == pytest.approx({
            "compressed_mean": statistics.mean(b[k] for b in built),
            "vanilla_mean": statistics.mean(v[k] for v in base),
            "ratio_mean": statistics.mean(b[k] / v[k] for b, v in zip(built, base)),
            "ratio_of_sums": sum(b[k] for b in built) / sum(v[k] for v in base)})
    assert stats["counts"]["rejected"] == {"invalid_record": 1} and stats["mode"] == "lightthinker"


def test_vanilla_baseline_is_what_vanilla_mode_lays_out(layout, traces):
    tokenizer, prepared = layout
    plain = prepare_layout(tokenizer, BuildConfig(template="plain", mode="vanilla", max_length=None)).layouter
    for ex, van in zip(prepared.layouter.lay_out_many(traces), plain.lay_out_many(traces)):
        assert record_metrics(ex.attend_from, ex.visible_until, ex.role, ex.labels)[2:] == (
            peak_tokens(van.visible_until, van.role),
            dependency(van.attend_from, van.visible_until, van.role, van.labels))


def test_format_stats_is_an_aligned_table(build_dir):
    text = format_stats(build_stats(build_dir))
    lines = text.split("\n")
    assert lines[0] == f"{build_dir}  (mode lightthinker, 2 cache tokens per thought)"
    assert lines[2:7] == ["records             5",
                          "  read              6",
                          "  rejected          1  (invalid_record 1)",
                          "  dropped overlong  0",
                          "  truncated         1"]
    header = lines.index("tokens by role  tokens  share")
    assert lines[header + 1] == "  prompt            47  28.0%"
    assert any(line.startswith("peak KV tokens (mean)") for line in lines)
    assert "nan" not in text


def test_a_build_without_shards(build_dir, tmp_path):
    manifest = {**json.loads((build_dir / "manifest.json").read_text()), "shards": []}
    write_json_atomic(tmp_path / "manifest.json", manifest)
    stats = build_stats(tmp_path)
    assert stats["records"] == 0 and stats["tokens"]["total"] == 0 and stats["tokens"]["mean"] is None
    assert stats["compression"]["dep"]["ratio_of_sums"] is None
    assert "tokens per record        0     -    -    -    -" in format_stats(stats)


def test_stats_png_is_a_png(build_dir, tmp_path):
    stats_png(build_dir, tmp_path / "stats.png")
    data = (tmp_path / "stats.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 1000
