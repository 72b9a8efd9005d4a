"""`python -m experiments.mini_table1 --out DIR [--quick]`: the whole experiment, end to end.

Data and tokenizer, four `ltdata build`s with their `ltdata stats`, a base model trained on the
vanilla build and fine-tuned once per build (five `ltrain train` runs), six
`ltrain eval` runs (the control among them), `ltrain eval report`, then the carry analysis and a
summary against the targets. Rerunning with the same --out continues where it stopped.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from experiments.mini_table1.settings import FULL, QUICK
from experiments.mini_table1.steps import BUILDS, Runner, evaluations
from experiments.mini_table1.summary import write_summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m experiments.mini_table1", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("mini-out"), help="output directory (default mini-out)")
    parser.add_argument("--quick", action="store_true", help="the reduced run (fewer problems and steps)")
    parser.add_argument("--seed", type=int, default=0, help="seed for the problems, the weights and the data order")
    args = parser.parse_args(argv)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    settings = (QUICK if args.quick else FULL).with_seed(args.seed)
    start = time.perf_counter()
    runner = Runner(args.out, settings, log=lambda line: print(line, file=sys.stderr, flush=True))
    runner.data()
    runner.run([runner.build(name) for name in BUILDS])
    runner.stats()
    runner.run([runner.base()])
    runner.run([runner.finetune(name) for name in BUILDS])
    plan = evaluations(settings)
    runner.run([runner.evaluate(e) for e in plan])
    runs = {e.label: args.out / "eval" / e.slug for e in plan}
    runner.report(list(runs.values()))
    labels = [e.label for e in plan]
    roles = {"vanilla": labels[0], "lightthinker": labels[3], "control": labels[5]}
    summary = write_summary(args.out, runs, roles=roles, timings={**runner.timings,
                                                                  "total": time.perf_counter() - start})
    print(summary.read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
