"""Every command parses an option kind the same way, as its flags come from one generator.

Each case parses real argv through the command's real parser (`ltdata build`, `ltrain train`,
`ltrain generate`, `ltrain eval`): bools are `--x/--no-x`, optional options take `none`, and dict
options take repeatable `KEY=VALUE` or a YAML mapping, merged.
"""
from __future__ import annotations

import typing
from dataclasses import fields
from typing import Any

import pytest

from ltdata.cli.flags import given_config
from ltdata.cli.main import _parser as ltdata_parser
from ltdata.config import BuildConfig
from ltdata.typed_config import TypedConfig, is_config, optional_base
from ltrain.cli.main import _parser as ltrain_parser
from ltrain.eval.config import EvalConfig
from ltrain.generate.config import GenerationConfig
from ltrain.train.config import TrainConfig

# command -> (its parser, the argv before the options under test, the config its flags fill)
COMMANDS: dict[str, tuple[Any, list[str], type[TypedConfig]]] = {
    "ltdata build": (ltdata_parser, ["build"], BuildConfig),
    "ltrain train": (ltrain_parser, ["train"], TrainConfig),
    "ltrain generate": (ltrain_parser, ["generate", "--model", "m", "--prompt", "p"], GenerationConfig),
    "ltrain eval": (ltrain_parser, ["eval"], EvalConfig),
}


def options(config: type[TypedConfig]) -> dict[str, tuple[Any, str]]:
    """name -> (type hint, flag) of every option, nested configs flattened as their flags are."""
    hints = typing.get_type_hints(config)
    out: dict[str, tuple[Any, str]] = {}
    for f in fields(config):  # type: ignore[arg-type]
        if is_config(hints[f.name]):
            out.update(options(hints[f.name]))
        else:
            out[f.name] = (hints[f.name], f.metadata.get("flag", "--" + f.name.replace("_", "-")))
    return out


def parse(command: str, *argv: str) -> dict[str, Any]:
    """The options the user gave, flattened (nested configs' keys at the top, as on the command line)."""
    parser, prefix, config = COMMANDS[command]
    given = given_config(parser().parse_args([*prefix, *argv]), config)
    hints = typing.get_type_hints(config)
    flat = {k: v for k, v in given.items() if not is_config(hints[k])}
    for name in (k for k in given if is_config(hints[k])):
        flat.update(given[name])
    return flat


def cases(kind: str) -> list[tuple[str, str, str]]:
    """(command, option, flag) for every option of this kind in every command."""
    out = []
    for command, (_, _, config) in COMMANDS.items():
        for name, (hint, flag) in options(config).items():
            base, optional = optional_base(hint)
            if (kind == "bool" and base is bool) or (kind == "dict" and typing.get_origin(base) is dict) or (
                    kind == "none" and optional and base is not bool):
                out.append((command, name, flag))
    return out


def test_every_command_has_cases_of_each_kind():
    kinds = {kind: {command for command, *_ in cases(kind)} for kind in ("bool", "none", "dict")}
    assert kinds["bool"] == kinds["none"] == set(COMMANDS)
    assert kinds["dict"] == {"ltdata build", "ltrain train", "ltrain eval"}     # generate has no dict option


@pytest.mark.parametrize("command, name, flag", cases("bool"))
def test_a_bool_is_x_or_no_x(command, name, flag):
    assert parse(command, flag) == {name: True}
    assert parse(command, "--no-" + flag[2:]) == {name: False}
    assert parse(command) == {}                  # not given: the recipe's or the default value stays


@pytest.mark.parametrize("command, name, flag", cases("none"))
def test_an_optional_option_takes_none(command, name, flag):
    assert parse(command, flag, "none") == {name: None}
    assert parse(command, flag, "NONE") == {name: None}


@pytest.mark.parametrize("command, name, flag", cases("dict"))
def test_a_dict_takes_key_value_and_yaml_mappings_merged(command, name, flag):
    given = parse(command, flag, "a=x", flag, "{b: y}", flag, "a=z")
    assert given == {name: {"a": "z", "b": "y"}}


@pytest.mark.parametrize("command", ["ltrain generate", "ltrain eval"])
def test_seed_none_and_sampling_flags_fill_the_same_generation_config(command):
    parser, prefix, config = COMMANDS[command]
    args = parser().parse_args([*prefix, "--model", "m", "--seed", "none", "--do-sample", "--method", "vanilla"])
    built = config.from_dict(given_config(args, config))
    generation = built if isinstance(built, GenerationConfig) else built.generation
    assert (generation.seed, generation.do_sample, generation.method) == (None, True, "vanilla")


@pytest.mark.parametrize("command, argv", [
    ("ltrain train", ["--seed", "none"]),            # seed is an integer here, never off
    ("ltrain generate", ["--max-new-tokens", "none"]),
    ("ltdata build", ["--splitter-option", "no_equals_sign"]),
    ("ltrain eval", ["--template", "fancy"]),
])
def test_a_bad_value_is_a_usage_error(command, argv, capsys):
    parser, prefix, _ = COMMANDS[command]
    with pytest.raises(SystemExit) as exit_info:
        parser().parse_args([*prefix, *argv])
    assert exit_info.value.code == 2 and f"argument {argv[0]}" in capsys.readouterr().err
