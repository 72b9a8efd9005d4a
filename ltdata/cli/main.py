"""The `ltdata` command: a thin layer over the library, testable in process via `main(argv)`.

Errors the user can fix print as one line (`ltdata: error: ...`) with exit code 2 for bad
configuration and 1 for bad data (`ltdata.cli.exits`); tracebacks are for bugs only.
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from ltdata.cli.exits import CONFIG_ERROR, run_command
from ltdata.cli.flags import add_config_flags, given_config
from ltdata.config import BuildConfig
from ltdata.errors import ConfigError
from ltdata.storage import is_url
from ltdata.typed_config import TypedConfig, load_yaml_mapping, option


@dataclass
class ReadConfig(TypedConfig):
    """How stats, inspect and verify reach a build at a URL (parsed like build's flag of the same name)."""

    storage_options: dict[str, Any] = option({}, "options for the fsspec filesystem of a build at a URL (s3://, "
                                                 "gs://, hf://, https://), e.g. endpoint_url=http://minio:9000 or "
                                                 "anon=true (repeatable KEY=VALUE); such a build is read from a "
                                                 "local copy in ltdata's cache", flag="--storage-option")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ltdata", description="Build and inspect LightThinker training shards.")
    commands = parser.add_subparsers(dest="command", required=True)

    build = commands.add_parser("build", help="build shards from reasoning traces",
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    build.add_argument("--config", metavar="FILE", help="YAML recipe; flags given here override it")
    add_config_flags(build, BuildConfig)

    validate = commands.add_parser("validate", help="check recipes without running them")
    validate.add_argument("recipes", nargs="+", metavar="FILE")

    inspect = commands.add_parser("inspect", help="show one sample coloured by role, with its mask")
    inspect.add_argument("directory", help="an `ltdata build` output directory or URL")
    inspect.add_argument("--record", required=True, help="record id")
    inspect.add_argument("--png", metavar="FILE", help="also write the full mask as a PNG")
    inspect.add_argument("--no-color", action="store_true", help="plain text, no ANSI colours")
    inspect.add_argument("--mask-size", type=int, default=48, help="mask drawing size in characters")
    add_config_flags(inspect, ReadConfig)

    stats = commands.add_parser("stats", help="tokens, thoughts and compression estimates of a build; "
                                              "several builds side by side")
    stats.add_argument("directories", nargs="+", metavar="DIR",
                       help="a build (a directory or URL) or a built curriculum; two or more builds are "
                            "compared, one column each")
    stats.add_argument("--png", metavar="FILE", help="also write histograms as a PNG (several builds: their "
                                                     "thought lengths overlaid)")
    add_config_flags(stats, ReadConfig)

    commands.add_parser("plugins", help="list the available formats and splitters")

    verify = commands.add_parser("verify", help="re-check every row of a build: lengths, labels, roles, masks, text")
    verify.add_argument("directory", help="an `ltdata build` output directory or URL")
    add_config_flags(verify, ReadConfig)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    return run_command("ltdata", lambda: _COMMANDS[args.command](args),
                       interrupted="interrupted; run the same command with --resume to finish")


def _build(args: argparse.Namespace) -> int:
    from ltdata.pipeline.build import build

    options = given_config(args, BuildConfig)
    recipe = load_yaml_mapping(args.config) if args.config else {}
    if "curriculum" in recipe:      # ltdata.curriculum.is_curriculum, without importing torch on every build
        return _build_curriculum(args.config, recipe, options)
    cfg = BuildConfig.from_dict({**recipe, **options}, source=args.config or "flags")
    result = build(cfg)
    counts = result.manifest["counts"]
    rejected = sum(counts["rejected"].values())
    print(f"ltdata: wrote {counts['records_written']} of {counts['records_read']} records "
          f"({counts['tokens']:,} tokens) in {len(result.manifest['shards'])} shards to {result.output}/"
          f"; rejected {rejected}{_reasons(counts['rejected'])}, dropped {counts['dropped_overlong']} over-long, "
          f"truncated {counts['truncated']}")
    return 0


def _build_curriculum(path: str, recipe: dict, options: dict) -> int:
    """Flags set how the builds run and override the curriculum's shared `build` defaults."""
    from ltdata.curriculum import Curriculum, build_curriculum
    from ltdata.curriculum.build import remove_curriculum

    extra = sorted(set(recipe) - {"curriculum"})
    if extra:
        raise ConfigError(f"{path}: a curriculum recipe holds only the 'curriculum' key, also found: {', '.join(extra)}")
    runtime = {k: options.pop(k) for k in ("workers", "processes", "scheduler", "progress", "storage_options")
               if k in options}
    overwrite, _ = options.pop("overwrite", False), options.pop("resume", None)
    section = dict(recipe["curriculum"] or {})
    if "output" in options:
        section["output"] = options.pop("output")
    section["build"] = {**(section.get("build") or {}), **options}
    curriculum = Curriculum.from_dict(section)
    if overwrite and Path(curriculum.output).exists():
        remove_curriculum(Path(curriculum.output))
    plan = build_curriculum(curriculum, **runtime)
    for stage in plan.summary["stages"]:
        mix = ", ".join(f"{s['directory']} {s['samples']:,}" for s in stage["sources"])
        print(f"ltdata: stage {stage['name']}: {stage['samples']:,} samples, {stage['tokens']:,} tokens ({mix})")
    print(f"ltdata: wrote the curriculum plan to {plan.directory}/curriculum.json")
    return 0


def _reading(args: argparse.Namespace) -> dict[str, Any]:
    """How to reach builds at URLs: the --storage-option flags, and a download bar on stderr."""
    return {"storage_options": given_config(args, ReadConfig).get("storage_options", {}), "progress": True}


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
    return CONFIG_ERROR if failed else 0


def _inspect(args: argparse.Namespace) -> int:
    from ltdata.views.explain import explain, find_example, mask_png

    example, tokenizer = find_example(args.directory, args.record, **_reading(args))
    print(explain(example, tokenizer, color=not args.no_color and sys.stdout.isatty(), mask_size=args.mask_size))
    if args.png:
        mask_png(example, args.png)
        print(f"ltdata: wrote {args.png}")
    return 0


def _stats(args: argparse.Namespace) -> int:
    from ltdata.views.stats import build_stats, format_stats, stats_png

    curricula = [d for d in args.directories if not is_url(d) and (Path(d) / "curriculum.json").exists()]
    if len(args.directories) > 1:
        if curricula:
            raise ConfigError(f"stats: {curricula[0]} is a curriculum; several directories are compared only "
                              f"as builds (give a curriculum alone)")
        return _compare(args)
    directory = args.directories[0]
    if curricula:
        return _curriculum_stats(directory, args.png)
    reading = _reading(args)
    print(format_stats(build_stats(directory, **reading)))
    if args.png:
        stats_png(directory, args.png, storage_options=reading["storage_options"])
        print(f"ltdata: wrote {args.png}")
    return 0


def _compare(args: argparse.Namespace) -> int:
    from ltdata.views.compare import compare_builds, comparison_png, format_comparison

    reading = _reading(args)
    print(format_comparison(compare_builds(args.directories, **reading)))
    if args.png:
        comparison_png(args.directories, args.png, storage_options=reading["storage_options"])
        print(f"ltdata: wrote {args.png}")
    return 0


def _curriculum_stats(directory: str, png: str | None) -> int:
    from ltdata.curriculum.stats import curriculum_png, curriculum_stats, format_curriculum_stats

    print(format_curriculum_stats(curriculum_stats(directory)))
    if png:
        curriculum_png(directory, png)
        print(f"ltdata: wrote {png}")
    return 0


def _plugins(args: argparse.Namespace) -> int:
    from ltdata.readers.formats import available_formats
    from ltdata.splitters import available_splitters

    for title, table in (("formats", available_formats()), ("splitters", available_splitters())):
        print(f"{title}:")
        for name, description in table.items():
            print(f"  {name:<16} {description}")
    return 0


def _verify(args: argparse.Namespace) -> int:
    from ltdata.verify import verify_build

    print(verify_build(args.directory, **_reading(args)).summary())
    return 0


_COMMANDS = {"build": _build, "validate": _validate, "inspect": _inspect, "stats": _stats, "plugins": _plugins,
             "verify": _verify}

if __name__ == "__main__":
    raise SystemExit(main())
