"""`ltrain train`: run a training recipe from a YAML preset, with `--key value` overrides.

Every field of `TrainConfig` is a flag (generated, so its help is written once). Launch it bare (one
process), or under `torchrun` / `deepspeed --no_local_rank` on one or many nodes: the launcher's
environment (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR) decides the process group.
"""
from __future__ import annotations

import argparse
import types
import typing
import warnings
from typing import Any, Literal

import yaml

from ltrain.train.config import TrainConfig, config_fields


def _none_or(parse):
    def convert(text: str):
        if text.lower() in ("none", "off", "null"):
            return None
        try:
            return parse(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {parse.__name__} or 'none', got {text!r}") from None
    convert.__name__ = parse.__name__
    return convert


def _mapping(text: str) -> dict:
    value = yaml.safe_load(text)
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError(f"expected a YAML mapping such as '{{a: {{b: 1}}}}', got {text!r}")
    return value


def _flag_kwargs(hint: Any, default: Any) -> dict[str, Any]:
    args = typing.get_args(hint)
    optional = typing.get_origin(hint) in (typing.Union, types.UnionType) and type(None) in args
    base = next((a for a in args if a is not type(None)), hint) if optional else hint
    if typing.get_origin(base) is Literal:
        choices = typing.get_args(base)
        return {"choices": choices, "type": type(choices[0])}
    if base is bool:
        return {"action": argparse.BooleanOptionalAction}
    if typing.get_origin(base) is list:
        return {"nargs": "+", "metavar": "PATH"}
    if typing.get_origin(base) is dict:
        return {"type": _mapping, "metavar": "YAML"}
    parse = {int: int, float: float, str: str}[base]
    return {"type": _none_or(parse) if optional else parse}


METAVARS = {"curriculum": "DIR", "output_dir": "DIR", "resume": "DIR|auto"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", metavar="FILE", help="YAML config or preset name (tiny, qwen2.5-7b, "
                                                          "llama3.1-8b); the flags below override it")
    parser.add_argument("--print-config", action="store_true", help="print the resolved config and exit")
    for name, hint, default, help_text in config_fields():
        shown = "" if default in (None, [], {}, "") else f" (default: {default})"
        kwargs = _flag_kwargs(hint, default)
        if name in METAVARS:
            kwargs["metavar"] = METAVARS[name]
        parser.add_argument("--" + name.replace("_", "-"), dest=name, default=argparse.SUPPRESS,
                            help=help_text + shown, **kwargs)


def resolve_config(args: argparse.Namespace) -> TrainConfig:
    names = {name for name, *_ in config_fields()}
    given = {k: v for k, v in vars(args).items() if k in names}
    if args.config:
        return TrainConfig.from_yaml(args.config, **given)
    return TrainConfig.from_dict(given, source="command line")


def run(args: argparse.Namespace) -> int:
    cfg = resolve_config(args)
    if args.print_config:
        print(yaml.safe_dump(cfg.to_dict(), sort_keys=False), end="")
        return 0
    _quiet_libraries()
    import torch

    from ltrain.train.recipe import train

    owned = not torch.distributed.is_initialized()   # leave a caller's process group alone
    try:
        records = train(cfg)
        main_rank = torch.distributed.get_rank() == 0
    finally:
        if owned and torch.distributed.is_initialized():
            torch.distributed.destroy_process_group()
    if records and main_rank:
        last = records[-1]
        print(f"ltrain: done: step {last['step']}, loss {last['loss']:.4f}; checkpoints in {cfg.output_dir}/")
    return 0


def _quiet_libraries() -> None:
    """Our log says what happened; DeepSpeed's INFO lines and HF's weight-loading bars repeat it per rank."""
    import logging

    from deepspeed.utils import logger as ds_logger
    from transformers.utils import logging as hf_logging

    warnings.filterwarnings("ignore", message=r".*torch\.distributed\.\w+` is deprecated", category=FutureWarning)
    ds_logger.setLevel(logging.WARNING)
    hf_logging.disable_progress_bar()
