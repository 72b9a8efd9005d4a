"""`ltdata validate`: check a recipe without running it, reporting every problem at once."""
from __future__ import annotations

from pathlib import Path

from ltdata.config import BuildConfig
from ltdata.curriculum.recipe import Curriculum, is_curriculum
from ltdata.errors import ConfigError, LtdataError
from ltdata.storage import is_url
from ltdata.typed_config import load_yaml_mapping

TOKENIZER_SPLITTERS = ("tokens", "balanced")


def recipe_problems(path: str | Path) -> list[str]:
    """Unknown keys, bad values, conflicts, missing inputs and unloadable plugins, each naming its key."""
    try:
        values = load_yaml_mapping(path)
    except ConfigError as exc:
        return exc.problems
    if is_curriculum(values):
        return _curriculum_problems(path, values)
    inputs = values.get("input") if isinstance(values.get("input"), list) else []
    missing = _missing_inputs(inputs, "")
    try:
        cfg = BuildConfig.from_dict(values, source=str(path))
    except ConfigError as exc:
        return exc.problems + missing
    return missing + _resource_problems(cfg, "")


def _curriculum_problems(path: str | Path, values: dict) -> list[str]:
    extra = sorted(set(values) - {"curriculum"})
    problems = [f"{path}: unknown top-level key {k!r} (a curriculum recipe holds only 'curriculum')" for k in extra]
    try:
        curriculum = Curriculum.from_dict(values["curriculum"] or {})
    except ConfigError as exc:
        return problems + exc.problems
    for i, stage in enumerate(curriculum.stages):
        for j, source in enumerate(stage.sources):
            where = f"curriculum.stages[{i}].sources[{j}]"
            if source.shards is not None:
                if not is_url(source.shards) and not (Path(source.shards) / "manifest.json").exists():
                    problems.append(f"{where}.shards: no finished ltdata build in {source.shards}")
                continue
            cfg = curriculum.build_config(source)
            problems += _missing_inputs(cfg.input, f"{where}.build.") + _resource_problems(cfg, f"{where}.build.")
    return list(dict.fromkeys(problems))  # shared defaults would repeat the same problem per source


def _missing_inputs(inputs: list, prefix: str) -> list[str]:
    # relative paths are relative to the current directory, as on the command line
    return [f"{prefix}input: no such file, directory or glob match: {entry}"
            for entry in inputs if isinstance(entry, str) and not _exists(Path(entry))]


def _resource_problems(cfg: BuildConfig, prefix: str) -> list[str]:
    problems = []
    if cfg.tokenizer and _looks_like_path(cfg.tokenizer) and not Path(cfg.tokenizer).exists():
        problems.append(f"tokenizer: no such directory: {cfg.tokenizer}")
    return [f"{prefix}{p}" for p in problems + _plugin_problems(cfg)]


def _plugin_problems(cfg: BuildConfig) -> list[str]:
    from ltdata.readers.formats import resolve_format
    from ltdata.splitters import make_splitter

    problems = []
    if cfg.splitter not in TOKENIZER_SPLITTERS:     # they need the tokenizer, which validate does not load
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
