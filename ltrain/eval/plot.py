"""Accuracy against the two costs LightThinker cuts, peak KV tokens and Dep: one point per method
and dataset (colour = method, marker = dataset), so a method that keeps accuracy while moving left
stands out. Rendered with matplotlib's Agg backend (no display needed)."""
from __future__ import annotations

from pathlib import Path

import polars as pl

from ltrain.eval.report import NAMES

MARKERS = {"gsm8k": "o", "mmlu": "s", "gpqa": "^", "bbh": "D", "avg": "*"}


def accuracy_png(summary: pl.DataFrame, path: str | Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5), constrained_layout=True)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    labels = list(dict.fromkeys(summary["label"]))
    for ax, column, title in ((axes[0], "peak", "peak KV tokens"), (axes[1], "dep", "Dep (tokens attended)")):
        for k, label in enumerate(labels):
            rows = summary.filter(pl.col("label") == label)
            for row in rows.iter_rows(named=True):
                ax.scatter(row[column], row["acc"], color=colours[k % len(colours)],
                           marker=MARKERS.get(row["dataset"], "x"), s=90 if row["dataset"] == "avg" else 45,
                           label=f"{label} · {NAMES.get(row['dataset'], row['dataset'])}")
        ax.set_xlabel(title)
        ax.set_ylabel("accuracy (%)")
        ax.set_ylim(-2, 102)
        ax.grid(alpha=0.3)
    axes[1].legend(fontsize=7, loc="best")
    fig.suptitle("Accuracy vs memory per method")
    fig.savefig(path, dpi=120)
    plt.close(fig)
