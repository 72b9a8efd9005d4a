"""What was learned: the carry table, the memory ratios and the verdicts against the targets.

Written next to `ltrain eval report`'s Table 1 as `summary.md` and `carry.csv`, from the runs'
sample files alone, so it can be regenerated without decoding anything again.
"""
from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from experiments.mini_table1.carry import judge_run


def carry_table(runs: dict[str, Path]) -> pl.DataFrame:
    return pl.DataFrame([judge_run(path).row(label) for label, path in runs.items()])


def _results(runs: dict[str, Path]) -> dict[str, dict]:
    out = {}
    for label, path in runs.items():
        frame = pl.read_csv(path / "results.csv")
        row = frame.filter(pl.col("dataset") == "gsm8k").row(0, named=True)
        out[label] = row
    return out


def _verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def write_summary(out: Path, runs: dict[str, Path], *, roles: dict[str, str], timings: dict[str, float]) -> Path:
    """`roles` names the runs the targets compare: vanilla, lightthinker, control."""
    carry = carry_table(runs)
    carry.write_csv(out / "report" / "carry.csv")
    results = _results(runs)
    vanilla, light, control = (results[roles[k]] for k in ("vanilla", "lightthinker", "control"))
    carry_of = {r["model"]: r for r in carry.iter_rows(named=True)}
    light_carry, control_carry = carry_of[roles["lightthinker"]]["carry"], carry_of[roles["control"]]["carry"]
    peak_ratio, dep_ratio = light["peak"] / vanilla["peak"], light["dep"] / vanilla["dep"]
    targets = [
        ("carry through the cache (LightThinker, thoughts 2..)", f"{light_carry:.1f}%", ">= 95%", light_carry >= 95),
        ("carry with the cache hidden (control)", f"{control_carry:.1f}%", "near chance (10%)", control_carry <= 30),
        ("vanilla accuracy", f"{vanilla['acc']:.1f}%", ">= 80%", vanilla["acc"] >= 80),
        ("LightThinker accuracy", f"{light['acc']:.1f}%", f">= vanilla - 5 = {vanilla['acc'] - 5:.1f}%",
         light["acc"] >= vanilla["acc"] - 5),
        ("control accuracy", f"{control['acc']:.1f}%", f"<= LightThinker / 2 = {light['acc'] / 2:.1f}%",
         control["acc"] <= light["acc"] / 2),
        ("LightThinker / vanilla peak KV (measured)", f"{peak_ratio:.2f}", "<= 0.5", peak_ratio <= 0.5),
        ("LightThinker / vanilla Dep (measured)", f"{dep_ratio:.2f}", "<= 0.6", dep_ratio <= 0.6),
        ("samples whose compressions = rules (LightThinker)",
         f"{carry_of[roles['lightthinker']]['compressions_match']:.1f}%", "100%",
         carry_of[roles["lightthinker"]]["compressions_match"] >= 99),
    ]
    lines = ["# Table 1 in miniature: what was learned", "",
             "## Results (`ltrain eval report`)", "", (out / "report" / "table.md").read_text(encoding="utf-8"), "",
             "## Carry through the cache, per thought", "",
             "carry: thoughts 2.. whose restated value equals the previous thought's result; "
             "err_*: share of parsed thoughts whose first error is that cause (one cause per thought).", "",
             _markdown(carry), "", "## Targets", "", "| figure | measured | target | |", "|---|---|---|---|"]
    lines += [f"| {name} | {value} | {target} | {_verdict(ok)} |" for name, value, target, ok in targets]
    lines += ["", "## Wall time per step (seconds)", "", "| step | seconds |", "|---|---|"]
    lines += [f"| {step} | {seconds:.0f} |" for step, seconds in timings.items()]
    path = out / "report" / "summary.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (out / "report" / "targets.json").write_text(json.dumps(
        [{"figure": n, "measured": v, "target": t, "met": ok} for n, v, t, ok in targets], indent=2) + "\n",
        encoding="utf-8")
    return path


def _markdown(frame: pl.DataFrame) -> str:
    head = "| " + " | ".join(frame.columns) + " |"
    rule = "|" + "---|" * len(frame.columns)
    rows = ["| " + " | ".join(str(v) for v in row) + " |" for row in frame.iter_rows()]
    return "\n".join([head, rule, *rows])
