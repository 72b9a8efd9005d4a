"""The `ltrain` command: one subcommand per module in `ltrain.cli`, each a thin layer over the library.

A subcommand module defines `add_arguments(parser)` and `run(args) -> int`; it is imported only when
its command runs, so `ltrain --help` stays fast and a CPU machine never imports what it does not use.
Errors the user can fix print as one line with exit code 2 (configuration) or 1 (data).
"""
from __future__ import annotations

import argparse
import importlib
import sys
from typing import Sequence

from ltdata.errors import ConfigError, LtdataError

COMMANDS: dict[str, tuple[str, str]] = {
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
    try:
        return int(importlib.import_module(args.module).run(args))
    except ConfigError as exc:
        print(f"ltrain: error: {exc}", file=sys.stderr)
        return 2
    except LtdataError as exc:
        print(f"ltrain: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("ltrain: interrupted", file=sys.stderr)
        return 130
