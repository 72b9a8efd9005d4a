"""Curriculum recipes: the `curriculum:` section of a pipeline YAML, as typed dataclasses.

A curriculum is an ordered list of stages; each stage mixes one or more sources (an ltdata build
described inline, or an existing shard directory) by weight, keeps the rows its filters select,
orders them, and runs for a number of epochs or tokens. Binding a recipe reports every problem at
once, each under the key path that holds it (`curriculum.stages[1].sources[0].build.mode: ...`).
"""
from __future__ import annotations

import typing
from dataclasses import MISSING, dataclass, field, fields
from typing import Any, Literal, Mapping

from ltdata.config import BuildConfig
from ltdata.errors import ConfigError
from ltdata.shards.schema import SCALAR_COLUMNS, TEXT_COLUMNS
from ltdata.typed_config import type_problems, unknown_key_problems

Order = Literal["as_is", "shuffle", "sort"]
# Columns a stage may sort or filter on: the scalar shard columns, then per-row figures from the masks
# (both numeric), and the text columns (filtered by regex).
DERIVED_COLUMNS = ("peak_tokens", "dep", "vanilla_peak_tokens", "vanilla_dep", "compression")
RUNTIME_KEYS = ("workers", "processes", "scheduler", "progress", "resume", "overwrite", "output", "storage_options")


@dataclass
class SourceSpec:
    """Where a stage's rows come from, and how much of the stage they make up."""

    build: dict[str, Any] | None = None   # BuildConfig keys over the curriculum's `build` defaults
    shards: str | None = None             # an existing ltdata output directory, used as it is
    weight: float | None = None           # share of the stage's samples; None = proportional to size


@dataclass
class StageSpec:
    """One stage: which rows, in which order, for how long."""

    name: str
    sources: list[SourceSpec]
    epochs: float | None = None           # passes over the selected rows (the default: 1)
    tokens: int | None = None             # or: draw rows until this many tokens
    order: Order = "shuffle"              # as_is | shuffle (seeded) | sort (by `sort_by`)
    sort_by: str = "num_tokens"           # any numeric column, e.g. num_thoughts, compression
    descending: bool = False
    where: dict[str, dict[str, Any]] = field(default_factory=dict)  # {column: {min, max} | {matches: regex}}


@dataclass
class Curriculum:
    """The whole recipe: shared build defaults, a seed, and the stages in training order."""

    stages: list[StageSpec]
    output: str = "curriculum-out"
    seed: int = 0
    build: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, values: Mapping[str, Any], *, where: str = "curriculum") -> "Curriculum":
        curriculum, problems = _bind_curriculum(values, where)
        if problems:
            raise ConfigError(problems)
        assert curriculum is not None
        return curriculum

    def build_config(self, source: SourceSpec, **runtime: Any) -> BuildConfig:
        """The BuildConfig of an inline source: defaults, then the source's keys, then runtime options."""
        return BuildConfig.from_dict({**self.build, **(source.build or {}), **runtime})


def is_curriculum(values: Mapping[str, Any]) -> bool:
    return "curriculum" in values


def _bind(cls: type, values: Any, where: str) -> tuple[Any, list[str]]:
    """Instantiate a flat dataclass from a mapping: unknown keys, missing keys and types, all reported."""
    if not isinstance(values, Mapping):
        return None, [f"{where}: must be a mapping, got {type(values).__name__}"]
    problems = unknown_key_problems(values, {f.name for f in fields(cls)}, where)
    required = [f.name for f in fields(cls) if f.default is MISSING and f.default_factory is MISSING]
    missing = [f"{where}.{name}: required" for name in required if name not in values]
    if missing:
        return None, problems + missing
    obj = cls.__new__(cls)  # bound field by field, so the known keys are checked despite unknown ones
    for f in fields(cls):
        default = f.default_factory() if f.default_factory is not MISSING else f.default
        setattr(obj, f.name, values.get(f.name, default))
    return obj, problems + [f"{where}.{p}" for p in type_problems(obj) if not _is_nested(cls, p)]


def _is_nested(cls: type, problem: str) -> bool:
    """Type problems of list-of-dataclass fields are reported by binding their items instead."""
    name = problem.split(":", 1)[0]
    hint = typing.get_type_hints(cls).get(name)
    return typing.get_origin(hint) is list and typing.get_args(hint)[0] in (SourceSpec, StageSpec)


def _bind_curriculum(values: Any, where: str) -> tuple[Curriculum | None, list[str]]:
    curriculum, problems = _bind(Curriculum, values, where)
    if curriculum is None:
        return None, problems
    defaults_problems = _build_problems(curriculum.build, f"{where}.build") if isinstance(curriculum.build, dict) else []
    problems += defaults_problems
    defaults_ok = isinstance(curriculum.build, dict) and not defaults_problems
    if not isinstance(curriculum.stages, list) or not curriculum.stages:
        return None, problems + [f"{where}.stages: must be a non-empty list of stages"]
    stages = []
    for i, raw in enumerate(curriculum.stages):
        stage, stage_problems = _bind_stage(raw, f"{where}.stages[{i}]", curriculum.build if defaults_ok else {})
        problems += stage_problems
        stages.append(stage)
    names = [s.name for s in stages if s is not None]
    problems += [f"{where}.stages: stage name {n!r} is used twice" for n in sorted(set(names)) if names.count(n) > 1]
    curriculum.stages = stages
    return (curriculum if not problems else None), problems


def _bind_stage(raw: Any, where: str, defaults: dict) -> tuple[StageSpec | None, list[str]]:
    stage, problems = _bind(StageSpec, raw, where)
    if stage is None:
        return None, problems
    if stage.epochs is not None and stage.tokens is not None:
        problems.append(f"{where}: give epochs or tokens, not both")
    if isinstance(stage.epochs, (int, float)) and stage.epochs <= 0:
        problems.append(f"{where}.epochs: must be positive, got {stage.epochs}")
    if isinstance(stage.tokens, int) and stage.tokens <= 0:
        problems.append(f"{where}.tokens: must be positive, got {stage.tokens}")
    numeric = SCALAR_COLUMNS + DERIVED_COLUMNS
    if stage.sort_by not in numeric:
        problems.append(f"{where}.sort_by: must be one of {', '.join(numeric)}; got {stage.sort_by!r}")
    problems += _where_problems(stage.where, f"{where}.where") if isinstance(stage.where, dict) else []
    if not isinstance(stage.sources, list) or not stage.sources:
        return None, problems + [f"{where}.sources: must be a non-empty list of sources"]
    sources = []
    for i, raw_source in enumerate(stage.sources):
        source, source_problems = _bind_source(raw_source, f"{where}.sources[{i}]", defaults)
        problems += source_problems
        sources.append(source)
    weights = [s.weight for s in sources if s is not None]
    if any(w is None for w in weights) and any(w is not None for w in weights):
        problems.append(f"{where}.sources: give every source a weight, or none (proportional to size)")
    stage.sources = sources
    return stage, problems


def _bind_source(raw: Any, where: str, defaults: dict) -> tuple[SourceSpec | None, list[str]]:
    """`defaults` is empty when the shared build defaults are themselves invalid (reported once, there)."""
    source, problems = _bind(SourceSpec, raw, where)
    if source is None:
        return None, problems
    if (source.build is None) == (source.shards is None):
        problems.append(f"{where}: give exactly one of build (an inline build) or shards (a directory)")
    if isinstance(source.weight, (int, float)) and not isinstance(source.weight, bool) and source.weight <= 0:
        problems.append(f"{where}.weight: must be positive, got {source.weight}")
    if isinstance(source.build, dict):
        problems += _build_problems({**defaults, **source.build}, f"{where}.build")
    return source, problems


def _build_problems(values: dict[str, Any], where: str) -> list[str]:
    """BuildConfig's own checks, under this key path; runtime options belong to the command line."""
    problems = [f"{where}.{k}: set on the command line, not per build (the curriculum chooses outputs)"
                for k in values if k in RUNTIME_KEYS]
    try:
        BuildConfig.from_dict({k: v for k, v in values.items() if k not in RUNTIME_KEYS}, source=where)
    except ConfigError as exc:
        problems += [p if p.startswith(where) else f"{where}.{p}" for p in exc.problems]
    return problems


def _where_problems(where_map: dict[str, Any], where: str) -> list[str]:
    problems = []
    for column, condition in where_map.items():
        at = f"{where}.{column}"
        if column in TEXT_COLUMNS:
            if not isinstance(condition, dict) or set(condition) != {"matches"} or not isinstance(condition["matches"], str):
                problems.append(f"{at}: text columns take {{matches: REGEX}}, got {condition!r}")
        elif column in SCALAR_COLUMNS + DERIVED_COLUMNS:
            ok = isinstance(condition, dict) and condition and set(condition) <= {"min", "max"} and all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in condition.values())
            if not ok:
                problems.append(f"{at}: numeric columns take {{min: X, max: Y}}, got {condition!r}")
        else:
            known = SCALAR_COLUMNS + DERIVED_COLUMNS + TEXT_COLUMNS
            problems.append(f"{at}: unknown column; choose from {', '.join(known)}")
    return problems
