"""The `ltdata` command: a thin layer over the library, testable in process via `main(argv)`.

Errors the user can fix print as one line (`ltdata: error: ...`) with exit code 2 for bad
configuration and 1 for bad data; tracebacks are for bugs only.
"""
from __future__ import annotations

import argparse
import sys
from typing import Sequence

from ltdata.cli.options import add_config_flags, given_options
from ltdata.errors import ConfigError, LtdataError, PluginError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ltdata", description="Build and inspect LightThinker training shards.")
    commands = parser.add_subparsers(dest="command", required=True)

    build = commands.add_parser("build", help="build shards from reasoning traces",
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    build.add_argument("--config", metavar="FILE", help="YAML recipe; flags given here override it")
    add_config_flags(build)

    validate = commands.add_parser("validate", help="check recipes without running them")
    validate.add_argument("recipes", nargs="+", metavar="FILE")

    inspect = commands.add_parser("inspect", help="show one sample coloured by role, with its mask")
    inspect.add_argument("directory")
    inspect.add_argument("--record", required=True, help="record id")
    inspect.add_argument("--png", metavar="FILE", help="also write the full mask as a PNG")
    inspect.add_argument("--no-color", action="store_true", help="plain text, no ANSI colours")
    inspect.add_argument("--mask-size", type=int, default=48, help="mask drawing size in characters")

    stats = commands.add_parser("stats", help="tokens, thoughts and compression estimates of a build")
    stats.add_argument("directory")
    stats.add_argument("--png", metavar="FILE", help="also write histograms as a PNG")

    commands.add_parser("plugins", help="list the available formats and splitters")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _COMMANDS[args.command](args)
    except (ConfigError, PluginError) as exc:
        print(f"ltdata: error: {exc}", file=sys.stderr)
        return 2
    except LtdataError as exc:
        print(f"ltdata: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("ltdata: interrupted; run the same command with --resume to finish", file=sys.stderr)
        return 130


def _build(args: argparse.Namespace) -> int:
    from ltdata.config import BuildConfig
    from ltdata.pipeline.build import build

    options = given_options(args)
    cfg = BuildConfig.from_yaml(args.config, **options) if args.config else BuildConfig.from_dict(options)
    result = build(cfg)
    counts = result.manifest["counts"]
    rejected = sum(counts["rejected"].values())
    print(f"ltdata: wrote {counts['records_written']} of {counts['records_read']} records "
          f"({counts['tokens']:,} tokens) in {len(result.manifest['shards'])} shards to {result.output}/"
          f"; rejected {rejected}{_reasons(counts['rejected'])}, dropped {counts['dropped_overlong']} over-long, "
          f"truncated {counts['truncated']}")
    return 0


def _reasons(rejected: dict[str, int]) -> str:
    return " (" + ", ".join(f"{k}: {v}" for k, v in rejected.items()) + ")" if rejected else ""


def _validate(args: argparse.Namespace) -> int:
    from ltdata.cli.validate import recipe_problems

    failed = False
    for recipe in args.recipes:
        problems = recipe_problems(recipe)
        failed |= bool(problems)
        print(f"{recipe}: ok" if not problems else f"{recipe}: {len(problems)} problem(s)")
        for problem in problems:
            print(f"  - {problem}")
    return 2 if failed else 0


def _inspect(args: argparse.Namespace) -> int:
    from ltdata.views.explain import explain, find_example, mask_png

    example, tokenizer = find_example(args.directory, args.record)
    print(explain(example, tokenizer, color=not args.no_color and sys.stdout.isatty(), mask_size=args.mask_size))
    if args.png:
        mask_png(example, args.png)
        print(f"ltdata: wrote {args.png}")
    return 0


def _stats(args: argparse.Namespace) -> int:
    from ltdata.views.stats import build_stats, format_stats, stats_png

    print(format_stats(build_stats(args.directory)))
    if args.png:
        stats_png(args.directory, args.png)
        print(f"ltdata: wrote {args.png}")
    return 0


def _plugins(args: argparse.Namespace) -> int:
    from ltdata.readers.formats import available_formats
    from ltdata.splitters import available_splitters

    for title, table in (("formats", available_formats()), ("splitters", available_splitters())):
        print(f"{title}:")
        for name, description in table.items():
            print(f"  {name:<16} {description}")
    return 0


_COMMANDS = {"build": _build, "validate": _validate, "inspect": _inspect, "stats": _stats, "plugins": _plugins}

if __name__ == "__main__":
    raise SystemExit(main())
