"""The results table: Table 1 of the paper (per dataset Acc, Time, Peak, Dep, compressions; AVG;
one row per method) from one or more eval output directories, as markdown and CSV, via polars.

Acc is the mean verdict over a dataset's items (after adjudication; the second table also gives the
rules-only accuracy and what is still unresolved), Time the dataset's total generation seconds,
Peak/Dep/compressions per-sample means. AVG is the plain mean over datasets, as in the paper.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence

import polars as pl

from ltrain.eval.adjudication import Adjudications
from ltrain.eval.readers import DATASETS
from ltrain.eval.scoring import default_adjudications, load_scored

RUN_FILE = "run.json"
NAMES = {"gsm8k": "GSM8K", "mmlu": "MMLU", "gpqa": "GPQA", "bbh": "BBH", "avg": "AVG."}
MEANS = ("acc", "acc_auto", "time_s", "peak", "dep", "compressions", "output_tokens")


def run_label(out_dir: str | Path) -> str:
    path = Path(out_dir) / RUN_FILE
    info = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    return info.get("label") or info.get("method") or Path(out_dir).name


def sample_frame(scored: Sequence[dict[str, Any]], label: str) -> pl.DataFrame:
    """One row per sample: its verdicts and stats."""
    return pl.DataFrame([{"label": label, "dataset": s["dataset"], "auto_verdict": s["auto_verdict"],
                          "verdict": s["verdict"], "manual": s["manual"], **s["stats"]} for s in scored])


def summarize(frame: pl.DataFrame) -> pl.DataFrame:
    """Per (label, dataset) metrics, then an `avg` row per label; labels keep their first-seen order."""
    per = frame.group_by("label", "dataset", maintain_order=True).agg(
        n=pl.len(), acc=(pl.col("verdict") == "correct").mean() * 100,
        acc_auto=(pl.col("auto_verdict") == "correct").mean() * 100,
        unresolved=(pl.col("verdict") == "unresolved").sum(), manual=pl.col("manual").sum(),
        time_s=pl.col("seconds").sum(), peak=pl.col("peak_tokens").mean(), dep=pl.col("dep").mean(),
        compressions=pl.col("compressions").mean(), output_tokens=pl.col("output_tokens").mean())
    order = {name: i for i, name in enumerate(DATASETS)}
    per = per.with_columns(pl.col("dataset").replace_strict(order, default=len(order)).alias("_order"),
                           pl.col("label").cast(pl.Enum(frame["label"].unique(maintain_order=True))))
    per = per.sort("label", "_order", "dataset").drop("_order")
    avg = per.group_by("label", maintain_order=True).agg(
        pl.lit("avg").alias("dataset"), pl.col("n").sum(), *(pl.col(c).mean() for c in MEANS),
        pl.col("unresolved").sum(), pl.col("manual").sum())
    return pl.concat([per, avg.select(per.columns)]).sort("label", maintain_order=True) \
        .with_columns(pl.col("label").cast(pl.String))


def collect(out_dirs: Sequence[str | Path], adjudications: str | Path | None = None) -> pl.DataFrame:
    """The summary of several runs; each uses its own adjudication file unless one is given for all."""
    shared = Adjudications(adjudications) if adjudications is not None else None
    labels = [run_label(d) for d in out_dirs]
    frames = []
    for out_dir, label in zip(out_dirs, labels):
        if labels.count(label) > 1:
            label = f"{label} ({Path(out_dir).name})"
        adj = shared if shared is not None else Adjudications(default_adjudications(out_dir))
        frames.append(sample_frame(load_scored(out_dir, adj), label))
    return summarize(pl.concat(frames, how="diagonal_relaxed"))


def _count(value: float) -> str:
    if value >= 1e5:
        return f"{value / 1e6:.1f}M"
    if value >= 1e3:
        return f"{value / 1e3:.1f}K"
    return f"{value:.0f}"


def markdown(summary: pl.DataFrame) -> str:
    """Table 1's layout, then a table of automatic vs adjudicated accuracy."""
    hours = summary["time_s"].max() >= 360
    unit, scale = ("h", 3600.0) if hours else ("s", 1.0)
    datasets = list(dict.fromkeys(summary["dataset"]))
    head = ["Method"] + [f"{NAMES.get(d, d)} {m}" for d in datasets
                         for m in ("Acc ↑", f"Time ({unit}) ↓", "Peak ↓", "Dep ↓", "Comp.")]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for label in dict.fromkeys(summary["label"]):
        cells = [label]
        for d in datasets:
            row = summary.filter((pl.col("label") == label) & (pl.col("dataset") == d)).to_dicts()
            cells += ([f"{row[0]['acc']:.2f}", f"{row[0]['time_s'] / scale:.2f}", _count(row[0]["peak"]),
                       _count(row[0]["dep"]), f"{row[0]['compressions']:.1f}"] if row else ["–"] * 5)
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "| Method | Dataset | n | Acc (rules) | Acc (adjudicated) | unresolved | manual verdicts |",
              "|---|---|---|---|---|---|---|"]
    for row in summary.iter_rows(named=True):
        lines.append(f"| {row['label']} | {NAMES.get(row['dataset'], row['dataset'])} | {row['n']} | "
                     f"{row['acc_auto']:.2f} | {row['acc']:.2f} | {row['unresolved']} | {row['manual']} |")
    return "\n".join(lines) + "\n"


def write_report(summary: pl.DataFrame, *, md: str | Path | None = None, csv: str | Path | None = None) -> None:
    if md is not None:
        Path(md).write_text(markdown(summary), encoding="utf-8")
    if csv is not None:
        summary.write_csv(csv)
