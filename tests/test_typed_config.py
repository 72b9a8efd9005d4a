"""`TypedConfig` composition: a nested config is filled key by key and checked with its parent."""
from __future__ import annotations

import pytest
import yaml

from ltdata.errors import ConfigError
from ltrain.eval.config import EvalConfig
from ltrain.generate.config import GenerationConfig


def test_a_nested_mapping_overrides_the_field_default_key_by_key():
    config = EvalConfig.from_dict({"model": "m", "generation": {"method": "vanilla"}})
    assert config.generation == GenerationConfig(method="vanilla", batch_size=1)   # eval's default batch stays
    assert config.to_dict()["generation"]["batch_size"] == 1


def test_replace_changes_a_nested_key_and_keeps_the_others():
    config = EvalConfig(model="m", generation=GenerationConfig(max_new_tokens=7, batch_size=3))
    changed = config.replace(generation={"method": "vanilla"}, limit=2)
    assert (changed.generation.method, changed.generation.max_new_tokens, changed.generation.batch_size,
            changed.limit) == ("vanilla", 7, 3, 2)
    assert config.generation.method == "lightthinker"


def test_nested_and_outer_problems_are_reported_at_once(tmp_path):
    recipe = tmp_path / "eval.yaml"
    recipe.write_text(yaml.safe_dump({"generation": {"method": "h2o", "temprature": 0.5}, "limit": 0}))
    with pytest.raises(ConfigError) as err:
        EvalConfig.from_yaml(recipe)
    assert err.value.problems == [
        f"{recipe}.generation: unknown key 'temprature' (did you mean 'temperature'?)",
        "kv_budget: h2o needs a budget of at least 2 KV entries, got None",
        "--model: a checkpoint directory is required",
        "--limit: must be at least 1, got 0",
    ]
