"""Curriculum recipes bind to typed stages, and a bad one reports every problem with its key path."""
from __future__ import annotations

import pytest

from ltdata.curriculum.recipe import Curriculum
from ltdata.errors import ConfigError


def test_a_two_stage_recipe_binds():
    c = Curriculum.from_dict({
        "output": "out/warmup", "seed": 7, "build": {"max_length": 4096},
        "stages": [
            {"name": "vanilla", "sources": [{"build": {"mode": "vanilla"}}], "epochs": 1},
            {"name": "compress", "sources": [{"build": {"mode": "lightthinker"}, "weight": 0.8},
                                             {"build": {"mode": "vanilla"}, "weight": 0.2}],
             "tokens": 1000, "order": "sort", "sort_by": "num_thoughts", "where": {"num_thoughts": {"min": 2}}},
        ]})
    assert [s.name for s in c.stages] == ["vanilla", "compress"]
    assert [src.weight for src in c.stages[1].sources] == [0.8, 0.2]
    cfg = c.build_config(c.stages[1].sources[0], workers=1)
    assert (cfg.mode, cfg.max_length, cfg.workers) == ("lightthinker", 4096, 1)


def test_every_problem_is_reported_at_once_under_its_key():
    recipe = {
        "seed": 1, "build": {"max_length": 0},
        "stages": [
            {"name": "warm", "sources": [{"build": {"mode": "vanila"}}], "epochs": 1, "tokens": 100},
            {"name": "warm", "sources": [{"shards": "out/a", "weight": 2}, {"build": {}}], "order": "random",
             "sort_by": "length", "where": {"num_tokens": {"max": "big"}, "colour": {"min": 1}}},
            {"name": "x", "sources": [], "epoch": 1},
        ]}
    with pytest.raises(ConfigError) as caught:
        Curriculum.from_dict(recipe)
    columns = ("num_tokens, num_thoughts, truncated, peak_tokens, dep, vanilla_peak_tokens, vanilla_dep, "
               "compression")
    assert caught.value.problems == [
        "curriculum.build.max_length: must be a positive integer, got 0",
        "curriculum.stages[0]: give epochs or tokens, not both",
        "curriculum.stages[0].sources[0].build.mode: must be one of lightthinker, vanilla, anllm; got 'vanila'",
        "curriculum.stages[1].order: must be one of as_is, shuffle, sort; got 'random'",
        f"curriculum.stages[1].sort_by: must be one of {columns}; got 'length'",
        "curriculum.stages[1].where.num_tokens: numeric columns take {min: X, max: Y}, got {'max': 'big'}",
        f"curriculum.stages[1].where.colour: unknown column; choose from {columns}, record_id, source",
        "curriculum.stages[1].sources: give every source a weight, or none (proportional to size)",
        "curriculum.stages[2]: unknown key 'epoch' (did you mean 'epochs'?)",
        "curriculum.stages[2].sources: must be a non-empty list of sources",
        "curriculum.stages: stage name 'warm' is used twice",
    ]


@pytest.mark.parametrize("source, problem", [
    ({}, "curriculum.stages[0].sources[0]: give exactly one of build (an inline build) or shards (a directory)"),
    ({"build": {}, "shards": "d"}, "curriculum.stages[0].sources[0]: give exactly one of build"),
    ({"build": {"output": "x"}}, "curriculum.stages[0].sources[0].build.output: set on the command line"),
    ({"shards": "d", "weight": -1}, "curriculum.stages[0].sources[0].weight: must be positive, got -1"),
])
def test_source_problems(source, problem):
    with pytest.raises(ConfigError) as caught:
        Curriculum.from_dict({"stages": [{"name": "s", "sources": [source]}]})
    assert any(p.startswith(problem) for p in caught.value.problems), caught.value.problems


def test_stages_are_required():
    with pytest.raises(ConfigError) as caught:
        Curriculum.from_dict({"seed": 3})
    assert caught.value.problems == ["curriculum.stages: required"]
