"""`ltdata validate`: check a recipe without running it, reporting every problem at once."""
from __future__ import annotations

from pathlib import Path

from ltdata.config import BuildConfig, load_yaml_mapping
from ltdata.errors import ConfigError, LtdataError


def recipe_problems(path: str | Path) -> list[str]:
    """Unknown keys, bad values, conflicts, missing inputs and unloadable plugins, each naming its key."""
    try:
        values = load_yaml_mapping(path)
    except ConfigError as exc:
        return exc.problems
    inputs = values.get("input") if isinstance(values.get("input"), list) else []
    # relative paths are relative to the current directory, as on the command line
    missing = [f"input: no such file, directory or glob match: {entry}"
               for entry in inputs if isinstance(entry, str) and not _exists(Path(entry))]
    try:
        cfg = BuildConfig.from_dict(values, source=str(path))
    except ConfigError as exc:
        return exc.problems + missing
    problems = missing
    if cfg.tokenizer and _looks_like_path(cfg.tokenizer) and not Path(cfg.tokenizer).exists():
        problems.append(f"tokenizer: no such directory: {cfg.tokenizer}")
    problems += _plugin_problems(cfg)
    return problems


def _plugin_problems(cfg: BuildConfig) -> list[str]:
    from ltdata.readers.formats import resolve_format
    from ltdata.splitters import make_splitter

    problems = []
    if cfg.splitter != "tokens":
        try:
            make_splitter(cfg.splitter, cfg.splitter_options)
        except LtdataError as exc:
            problems.append(f"splitter: {exc}")
    if cfg.format != "auto":
        try:
            resolve_format(cfg.format, fields=cfg.fields)
        except LtdataError as exc:
            problems.append(f"format: {exc}")
    return problems


def _exists(path: Path) -> bool:
    return path.exists() or (path.parent.exists() and any(path.parent.glob(path.name)))


def _looks_like_path(name: str) -> bool:
    return name.startswith((".", "/", "~")) or name.count("/") > 1
