"""The `ltrain` command: one subcommand per module in `ltrain.cli`, each a thin layer over the library.

A subcommand module defines `add_arguments(parser)` and `run(args) -> int`, and keeps torch,
transformers and DeepSpeed imports inside `run`, so building the parser (and `ltrain --help`) stays fast.
Errors the user can fix print as one line with exit code 2 (configuration) or 1 (data), as in `ltdata`
(`ltdata.cli.exits`).
"""
from __future__ import annotations

import argparse
import importlib
from typing import Sequence

from ltdata.cli.exits import run_command

COMMANDS: dict[str, tuple[str, str]] = {
    "train": ("ltrain.cli.train", "train a model on ltdata shards with DeepSpeed (ZeRO-2/3, CPU or GPU)"),
    "plan": ("ltrain.cli.plan", "memory per GPU and tokens per step of a preset, from its model config"),
    "generate": ("ltrain.cli.generate", "decode prompts with KV compression; print text, peak KV, Dep and time"),
    "eval": ("ltrain.cli.eval", "run, score, adjudicate and report GSM8K/MMLU/GPQA/BBH evaluations"),
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ltrain", description="Train, run and evaluate compressed-reasoning models.")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, (module, help_text) in COMMANDS.items():
        sub = commands.add_parser(name, help=help_text, formatter_class=argparse.ArgumentDefaultsHelpFormatter)
        sub.set_defaults(module=module)
        importlib.import_module(module).add_arguments(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    return run_command("ltrain", lambda: importlib.import_module(args.module).run(args))
