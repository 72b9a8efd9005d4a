"""`ltdata stats`: what a build holds and how much its masks compress, as one aligned table.

Record-level numbers come from a lazy polars scan of the scalar columns (num_tokens, num_thoughts,
truncated), never the token lists; the token columns that roles, thought lengths and compression need
are streamed one record batch at a time from the memory-mapped shards, so memory is bounded by a
batch (plus a few numbers per record), not by the build.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import polars as pl

from ltdata.metrics import batch_metrics
from ltdata.records import Role
from ltdata.shards.reader import flat_tokens, read_manifest, record_batches, scan_shards, shard_paths
from ltdata.shards.remote import local_build
from ltdata.shards.schema import SCALAR_COLUMNS
from ltdata.storage import shown

SUMMARY_ROWS = (("tokens per record", "tokens"), ("thoughts per record", "thoughts_per_record"),
                ("tokens per thought", "tokens_per_thought"))


@dataclass(slots=True)
class _TokenTally:
    """What one streaming pass over the token columns gathers."""

    metrics: np.ndarray          # int64 [records, 4]: peak, Dep, vanilla peak, vanilla Dep
    role_tokens: np.ndarray      # int64 [len(Role)]: tokens per role
    thought_tokens: np.ndarray   # int64 [thoughts]: thought text tokens (role THOUGHT) per block


def _tally(paths: list[Path]) -> _TokenTally:
    metrics: list[np.ndarray] = [np.zeros((0, 4), dtype=np.int64)]
    thought_tokens: list[np.ndarray] = [np.zeros(0, dtype=np.int64)]
    role_tokens = np.zeros(len(Role), dtype=np.int64)
    for batch in record_batches(paths):
        offsets, cols = flat_tokens(batch)
        metrics.append(batch_metrics(offsets, cols))
        role_tokens += np.bincount(cols["role"], minlength=len(Role))
        row_of = np.repeat(np.arange(len(offsets) - 1, dtype=np.int64), np.diff(offsets))
        thought = cols["role"] == Role.THOUGHT
        block = row_of[thought] * 65536 + cols["thought_index"][thought]
        thought_tokens.append(np.unique(block, return_counts=True)[1].astype(np.int64))
    return _TokenTally(np.concatenate(metrics), role_tokens, np.concatenate(thought_tokens))


def _summary(frame: pl.LazyFrame, column: str) -> dict[str, int | float | None]:
    """total, mean, p10, p50, p90 (linear interpolation) and max of one column; None where empty."""
    c = pl.col(column).cast(pl.Int64)
    return frame.select(c.sum().alias("total"), c.mean().alias("mean"), c.quantile(0.1, "linear").alias("p10"),
                        c.quantile(0.5, "linear").alias("p50"), c.quantile(0.9, "linear").alias("p90"),
                        c.max().alias("max")).collect().row(0, named=True)


def _compression(metrics: np.ndarray) -> dict[str, dict[str, float | None]]:
    """Means under each mask, the mean of per-record ratios (compressed / vanilla) and the ratio of sums."""
    out: dict[str, dict[str, float | None]] = {}
    for name, built, vanilla in (("peak_tokens", metrics[:, 0], metrics[:, 2]), ("dep", metrics[:, 1], metrics[:, 3])):
        some = vanilla > 0
        out[name] = {"compressed_mean": float(built.mean()) if len(built) else None,
                     "vanilla_mean": float(vanilla.mean()) if len(vanilla) else None,
                     "ratio_mean": float((built[some] / vanilla[some]).mean()) if some.any() else None,
                     "ratio_of_sums": float(built.sum() / vanilla.sum()) if vanilla.sum() else None}
    return out


def build_stats(directory: str | Path, *, storage_options: Mapping[str, Any] | None = None,
                progress: bool = False) -> dict[str, Any]:
    """Every number `ltdata stats` shows, as plain JSON-able values (a URL is read from its local copy)."""
    local = local_build(directory, storage_options, progress=progress)
    manifest = read_manifest(local)
    paths = shard_paths(local)
    records = scan_shards(paths, SCALAR_COLUMNS)
    tally = _tally(paths)
    total = int(tally.role_tokens.sum())
    head = records.select(pl.len().alias("records"), pl.col("truncated").sum().alias("truncated")).collect()
    mode = manifest.get("mode")
    return {
        "directory": shown(str(directory)),
        "mode": mode,
        "cache_tokens": 0 if mode == "vanilla" else manifest.get("cache_tokens"),   # vanilla inserts none
        "config": manifest.get("config", {}),
        "counts": manifest.get("counts", {}),
        "records": int(head["records"][0]),
        "truncated": int(head["truncated"][0] or 0),
        "tokens": _summary(records, "num_tokens"),
        "thoughts_per_record": _summary(records, "num_thoughts"),
        "tokens_per_thought": _summary(pl.LazyFrame({"tokens": tally.thought_tokens}), "tokens"),
        "roles": {role.name.lower(): {"tokens": int(tally.role_tokens[role]),
                                      "share": float(tally.role_tokens[role] / total) if total else None}
                  for role in Role if role != Role.PAD},
        "compression": _compression(tally.metrics),
    }


def format_number(value: int | float | None, digits: int = 1) -> str:
    if value is None:
        return "-"
    return f"{value:,}" if isinstance(value, int) else f"{value:,.{digits}f}"


def aligned_table(rows: list[list[str]]) -> list[str]:
    """First column left-aligned, the others right-aligned, two spaces apart."""
    widths = [max(len(row[k]) for row in rows) for k in range(len(rows[0]))]
    return ["  ".join(cell.ljust(w) if k == 0 else cell.rjust(w) for k, (cell, w) in enumerate(zip(row, widths)))
            .rstrip() for row in rows]


def format_stats(stats: dict[str, Any]) -> str:
    """A readable report of `build_stats`' result."""
    counts = stats["counts"]
    rejected = counts.get("rejected", {})
    reasons = ", ".join(f"{reason} {n:,}" for reason, n in rejected.items())
    lines = [f"{stats['directory']}  (mode {stats['mode']}, {_cache_phrase(stats['cache_tokens'])})", ""]
    lines += aligned_table([["records", format_number(stats["records"]), ""],
                            ["  read", format_number(counts.get("records_read")), ""],
                            ["  rejected", format_number(sum(rejected.values())), f"({reasons})" if reasons else ""],
                            ["  dropped overlong", format_number(counts.get("dropped_overlong")), ""],
                            ["  truncated", format_number(stats["truncated"]), ""]])
    lines += [""] + aligned_table([["", "total", "mean", "p10", "p50", "p90", "max"]] + [
        [label, *(format_number(stats[key][k]) for k in ("total", "mean", "p10", "p50", "p90", "max"))]
        for label, key in SUMMARY_ROWS])
    lines += [""] + aligned_table([["tokens by role", "tokens", "share"]] + [
        [f"  {name}", format_number(r["tokens"]), "-" if r["share"] is None else f"{100 * r['share']:.1f}%"]
        for name, r in stats["roles"].items()])
    lines += ["", "compression (ratio = compressed / vanilla; vanilla = the same prompt, thought and answer",
              "tokens with a causal mask, no splitter, cache or continue tokens)"]
    lines += aligned_table([["", "compressed", "vanilla", "mean ratio", "ratio of sums"]] + [
        [label, format_number(c["compressed_mean"]), format_number(c["vanilla_mean"]), format_number(c["ratio_mean"], 3),
         format_number(c["ratio_of_sums"], 3)]
        for label, c in (("peak KV tokens (mean)", stats["compression"]["peak_tokens"]),
                         ("Dep (mean)", stats["compression"]["dep"]))])
    return "\n".join(lines)


def _cache_phrase(cache_tokens: int | None) -> str:
    if cache_tokens is None:
        return "cache tokens unknown"
    if cache_tokens == 0:
        return "no cache tokens"
    return f"{cache_tokens} cache token{'s' if cache_tokens != 1 else ''} per thought"


def thought_lengths(directory: str | Path, *, storage_options: Mapping[str, Any] | None = None) -> np.ndarray:
    """int64 [thoughts]: the text tokens (role THOUGHT) of every thought of a build, in shard order."""
    return _tally(shard_paths(local_build(directory, storage_options))).thought_tokens


def stats_png(directory: str | Path, path: str | Path, *, storage_options: Mapping[str, Any] | None = None) -> None:
    """Histograms of tokens per record, thoughts per record and tokens per thought; peak compressed vs vanilla."""
    from matplotlib.figure import Figure

    paths = shard_paths(local_build(directory, storage_options))
    records = scan_shards(paths, SCALAR_COLUMNS).select("num_tokens", "num_thoughts").collect()
    tally = _tally(paths)
    figure = Figure(figsize=(11, 8), layout="constrained")
    (a, b), (c, d) = figure.subplots(2, 2)
    for axes, values, title in ((a, records["num_tokens"].to_numpy(), "tokens per record"),
                                (b, records["num_thoughts"].to_numpy(), "thoughts per record"),
                                (c, tally.thought_tokens, "tokens per thought")):
        axes.hist(values, bins=min(50, max(1, len(np.unique(values)))), color="tab:blue")
        axes.set(title=title, ylabel="count")
    peak, vanilla = tally.metrics[:, 0], tally.metrics[:, 2]
    d.scatter(vanilla, peak, s=8, alpha=0.6, color="tab:orange")
    top = float(max(peak.max(initial=1), vanilla.max(initial=1)))
    d.plot([0, top], [0, top], color="grey", linewidth=1, label="no compression")
    d.set(title="peak KV tokens per record", xlabel="vanilla (causal, no cache tokens)", ylabel="compressed")
    d.legend(loc="upper left")
    figure.suptitle(shown(str(directory)))
    figure.savefig(path, dpi=100)
