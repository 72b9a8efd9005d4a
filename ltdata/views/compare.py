"""`ltdata stats A B C ...`: builds side by side, one column each, to choose how to cut thoughts.

The figures that decide a segmentation: how long thoughts are (one shorter than its cache saves
nothing), how many there are, what share of every row the inserted blocks take, and how far the
masks cut peak KV and Dep against vanilla. Each column is `build_stats` of one build.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np

from ltdata.views.stats import aligned_table, build_stats, format_number, thought_lengths

OVERHEAD_ROLES = ("splitter", "cache", "continue")


def splitter_setting(stats: dict[str, Any]) -> str:
    """The splitter, its options and the token bounds a build used, e.g. `thought K=36` or `tokens tokens=64`."""
    config = stats.get("config") or {}
    parts = [str(config.get("splitter", "?"))]
    parts += [f"{key}={value}" for key, value in sorted((config.get("splitter_options") or {}).items())]
    for key, name in (("min_thought_tokens", "K"), ("max_thought_tokens", "M")):
        if config.get(key) is not None:
            parts.append(f"{name}={config[key]}")
    return " ".join(parts)


def overhead_share(stats: dict[str, Any]) -> float | None:
    """The share of all tokens that are splitter, cache and continue tokens (what compression costs)."""
    roles = stats["roles"]
    total = sum(r["tokens"] for r in roles.values())
    return sum(roles[name]["tokens"] for name in OVERHEAD_ROLES) / total if total else None


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


ROWS: tuple[tuple[str, Callable[[dict[str, Any]], str]], ...] = (
    ("splitter", splitter_setting),
    ("mode", lambda s: str(s["mode"])),
    ("cache tokens per thought", lambda s: format_number(s["cache_tokens"])),
    ("records", lambda s: format_number(s["records"])),
    ("thoughts per record (mean)", lambda s: format_number(s["thoughts_per_record"]["mean"])),
    ("tokens per thought p10", lambda s: format_number(s["tokens_per_thought"]["p10"])),
    ("tokens per thought p50", lambda s: format_number(s["tokens_per_thought"]["p50"])),
    ("tokens per thought p90", lambda s: format_number(s["tokens_per_thought"]["p90"])),
    ("overhead share", lambda s: _percent(overhead_share(s))),
    ("peak KV / vanilla", lambda s: format_number(s["compression"]["peak_tokens"]["ratio_of_sums"], 3)),
    ("Dep / vanilla", lambda s: format_number(s["compression"]["dep"]["ratio_of_sums"], 3)),
)


def column_names(directories: list[str | Path]) -> list[str]:
    """Each build's directory name, or its path as given where two names would be the same."""
    names = [Path(d).name or str(d) for d in directories]
    return [name if names.count(name) == 1 else str(d) for name, d in zip(names, directories)]


def compare_builds(directories: list[str | Path], *, storage_options: Mapping[str, Any] | None = None,
                   progress: bool = False) -> list[dict[str, Any]]:
    """`build_stats` of each build, in the order given."""
    return [build_stats(d, storage_options=storage_options, progress=progress) for d in directories]


def format_comparison(stats: list[dict[str, Any]]) -> str:
    """One column per build, one row per figure, with what each figure means underneath."""
    header = ["", *column_names([s["directory"] for s in stats])]
    lines = aligned_table([header] + [[label, *(show(s) for s in stats)] for label, show in ROWS])
    return "\n".join(lines + [
        "",
        "overhead share: splitter, cache and continue tokens over all tokens",
        "ratios: the build's sum over records / the same records laid out vanilla (no inserted tokens, causal mask)",
    ])


def comparison_png(directories: list[str | Path], path: str | Path, *,
                   storage_options: Mapping[str, Any] | None = None) -> None:
    """The tokens-per-thought histograms of the builds overlaid (log-spaced bins, share of each build's thoughts)."""
    from matplotlib.figure import Figure

    lengths = [thought_lengths(d, storage_options=storage_options) for d in directories]
    low = min((int(v.min()) for v in lengths if len(v)), default=1)
    top = max((int(v.max()) for v in lengths if len(v)), default=1)
    bins = np.unique(np.geomspace(max(low, 1), top + 1, 40).round().astype(int))
    figure = Figure(figsize=(10, 5), layout="constrained")
    axes = figure.add_subplot()
    for name, values in zip(column_names(directories), lengths):
        weights = np.full(len(values), 1 / len(values)) if len(values) else None
        axes.hist(values, bins=bins, weights=weights, histtype="step", linewidth=1.5,
                  label=f"{name} (median {np.median(values):.0f})" if len(values) else f"{name} (no thoughts)")
    axes.set(xscale="log", xlabel="tokens per thought", ylabel="share of the build's thoughts",
             title="thought lengths, builds overlaid")
    axes.legend()
    figure.savefig(path, dpi=100)
