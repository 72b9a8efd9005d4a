"""`ltdata stats` for a built curriculum: each stage's token budget and mix, before anything trains.

Per stage: samples, tokens, the share each source really got, and the length and thought
distributions of the samples in stage order (a row drawn twice counts twice: it is trained twice).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from ltdata.curriculum.build import CurriculumPlan, load_curriculum
from ltdata.curriculum.plan import source_frame
from ltdata.views.stats import aligned_table, format_number


def _stage_frame(plan: CurriculumPlan, index: int) -> pl.DataFrame:
    stage = plan.stages[index]
    frames = [source_frame(d, derived=False).select("row", "num_thoughts").with_columns(pl.lit(k, pl.Int16).alias("source"))
              for k, d in enumerate(stage.sources)]
    order = pl.DataFrame({"position": np.arange(len(stage)), "source": stage.source, "row": stage.row.astype(np.uint32),
                          "num_tokens": stage.num_tokens})
    return order.join(pl.concat(frames), on=["source", "row"], how="left").sort("position")


def curriculum_stats(directory: str | Path) -> dict[str, Any]:
    """Every number the curriculum view shows, JSON-able."""
    plan = load_curriculum(directory)
    stages = []
    for i, summary in enumerate(plan.summary["stages"]):
        frame = _stage_frame(plan, i)
        tokens = frame["num_tokens"]
        stages.append({"name": summary["name"], "samples": len(frame), "tokens": int(tokens.sum()),
                       "mean_tokens": float(tokens.mean()) if len(frame) else None,
                       "max_tokens": int(tokens.max()) if len(frame) else None,
                       "mean_thoughts": float(frame["num_thoughts"].mean()) if len(frame) else None,
                       "order": summary["order"],
                       "sources": [{**s, "share": s["samples"] / len(frame) if len(frame) else None}
                                   for s in summary["sources"]]})
    return {"directory": str(directory), "seed": plan.summary["seed"], "stages": stages,
            "tokens": sum(s["tokens"] for s in stages)}


def format_curriculum_stats(stats: dict[str, Any]) -> str:
    lines = [f"{stats['directory']}  (curriculum, seed {stats['seed']}, {stats['tokens']:,} tokens in all)", ""]
    rows = [["stage", "samples", "tokens", "mean len", "max len", "thoughts", "order"]]
    for s in stats["stages"]:
        rows.append([s["name"], format_number(s["samples"]), format_number(s["tokens"]), format_number(s["mean_tokens"]),
                     format_number(s["max_tokens"]), format_number(s["mean_thoughts"]), s["order"]])
    lines += aligned_table(rows)
    for s in stats["stages"]:
        lines += ["", f"{s['name']}: sources"]
        lines += aligned_table([["  directory", "weight", "samples", "share", "tokens"]] + [
            [f"  {x['directory']}", "-" if x["weight"] is None else f"{x['weight']:g}", format_number(x["samples"]),
             f"{100 * x['share']:.1f}%", format_number(x["tokens"])] for x in s["sources"]])
    return "\n".join(lines)


def curriculum_png(directory: str | Path, path: str | Path) -> None:
    """Per stage: tokens per sample along the stage (the order the trainer sees) and its histogram."""
    from matplotlib.figure import Figure

    plan = load_curriculum(directory)
    figure = Figure(figsize=(11, 3 * len(plan.stages)), layout="constrained")
    axes = figure.subplots(len(plan.stages), 2, squeeze=False)
    for i, stage in enumerate(plan.stages):
        along, histogram = axes[i]
        for k in range(len(stage.sources)):
            mine = np.flatnonzero(stage.source == k)
            along.scatter(mine, stage.num_tokens[mine], s=4, label=f"source {k}")
        along.set(title=f"{stage.name}: tokens per sample in training order", xlabel="sample", ylabel="tokens")
        along.legend(loc="upper right", fontsize="small")
        histogram.hist(stage.num_tokens, bins=min(50, max(1, len(np.unique(stage.num_tokens)))))
        histogram.set(title=f"{stage.name}: {stage.tokens:,} tokens, {len(stage):,} samples", xlabel="tokens")
    figure.suptitle(str(directory))
    figure.savefig(path, dpi=100)
