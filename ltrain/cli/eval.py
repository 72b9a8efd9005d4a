"""`ltrain eval`: run a checkpoint on the benchmarks, re-score, adjudicate and report.

    ltrain eval --model CKPT --datasets gsm8k,mmlu,gpqa,bbh --data-dir DIR --out OUT   # run or resume
    ltrain eval score OUT                       # re-judge stored samples (no model, no data needed)
    ltrain eval adjudicate OUT [OUT ...]        # y/n/e for answers the rules left open
    ltrain eval report OUT [OUT ...] --png FILE # Table 1 (markdown + CSV) and accuracy vs peak/Dep

The run flags are generated from `ltrain.eval.config.EvalConfig` (its `GenerationConfig` included),
whose fields document them.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from ltdata.cli.flags import add_config_flags, given_config
from ltrain.eval.config import EvalConfig

ADJ_HELP = "manual verdicts file; default OUT/adjudications.jsonl of each directory"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_config_flags(parser, EvalConfig)
    actions = parser.add_subparsers(dest="eval_action", metavar="{score,adjudicate,report}")
    score = actions.add_parser("score", help="re-judge the stored samples of a run and rewrite its results")
    score.add_argument("out_dir", metavar="OUT")
    score.add_argument("--adjudications", metavar="FILE", help=ADJ_HELP)
    adjudicate = actions.add_parser("adjudicate", help="give verdicts for answers the rules could not judge")
    adjudicate.add_argument("out_dirs", nargs="+", metavar="OUT")
    adjudicate.add_argument("--adjudications", metavar="FILE", help=ADJ_HELP + " (required for several)")
    report = actions.add_parser("report", help="Table-1 style results of one or more runs")
    report.add_argument("out_dirs", nargs="+", metavar="OUT")
    report.add_argument("--adjudications", metavar="FILE", help=ADJ_HELP)
    report.add_argument("--md", metavar="FILE", help="write the markdown table here")
    report.add_argument("--csv", metavar="FILE", help="write the long-format CSV here")
    report.add_argument("--png", metavar="FILE", help="plot accuracy vs peak tokens and Dep here")


def run(args: argparse.Namespace) -> int:
    action = getattr(args, "eval_action", None)
    if action == "score":
        return _score(args)
    if action == "adjudicate":
        return _adjudicate(args)
    if action == "report":
        return _report(args)
    return _run(args)


def _run(args: argparse.Namespace) -> int:
    from ltrain.eval.report import markdown
    from ltrain.eval.runner import run_eval

    config = EvalConfig.from_dict(given_config(args, EvalConfig), source="command line")
    summary = run_eval(config)
    print(markdown(summary), end="")
    print(f"ltrain: samples and results in {config.out}/")
    return 0


def _adjudications(out_dir: str, given: str | None):
    from ltrain.eval.adjudication import Adjudications
    from ltrain.eval.scoring import default_adjudications

    return Adjudications(given or default_adjudications(out_dir))


def _rewrite(out_dir: str, adjudications) -> str:
    from ltrain.eval.report import markdown, run_label, sample_frame, summarize, write_report
    from ltrain.eval.scoring import rescore_dir

    summary = summarize(sample_frame(rescore_dir(out_dir, adjudications), run_label(out_dir)))
    write_report(summary, md=Path(out_dir) / "results.md", csv=Path(out_dir) / "results.csv")
    return markdown(summary)


def _score(args: argparse.Namespace) -> int:
    print(_rewrite(args.out_dir, _adjudications(args.out_dir, args.adjudications)), end="")
    return 0


def _adjudicate(args: argparse.Namespace) -> int:
    from ltdata.errors import ConfigError
    from ltrain.eval.interactive import adjudicate
    from ltrain.eval.scoring import load_scored

    if len(args.out_dirs) > 1 and not args.adjudications:
        raise ConfigError("--adjudications: name one file when adjudicating several directories")
    adjudications = _adjudications(args.out_dirs[0], args.adjudications)
    samples = [s for d in args.out_dirs for s in load_scored(d, adjudications)]
    recorded = adjudicate(samples, adjudications)
    for out_dir in args.out_dirs:
        _rewrite(out_dir, adjudications)
    print(f"\nltrain: recorded {recorded} verdicts in {adjudications.path}; rescored {len(args.out_dirs)} run(s)")
    return 0


def _report(args: argparse.Namespace) -> int:
    from ltrain.eval.plot import accuracy_png
    from ltrain.eval.report import collect, markdown, write_report

    summary = collect(args.out_dirs, args.adjudications)
    write_report(summary, md=args.md, csv=args.csv)
    if args.png:
        accuracy_png(summary, args.png)
    print(markdown(summary), end="")
    return 0
