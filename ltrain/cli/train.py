"""`ltrain train`: run a training recipe from a YAML preset, with `--key value` overrides.

Every field of `TrainConfig` is a flag (generated, so its help is written once). Launch it bare (one
process), or under `torchrun` / `deepspeed --no_local_rank` on one or many nodes: the launcher's
environment (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR) decides the process group.
"""
from __future__ import annotations

import argparse
import warnings

import yaml

from ltdata.cli.flags import add_config_flags, given_config
from ltrain.train.config import TrainConfig


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", metavar="FILE", help="YAML config or preset name (tiny, qwen2.5-7b, "
                                                          "llama3.1-8b); the flags below override it")
    parser.add_argument("--print-config", action="store_true", help="print the resolved config and exit")
    add_config_flags(parser, TrainConfig)


def resolve_config(args: argparse.Namespace) -> TrainConfig:
    given = given_config(args, TrainConfig)
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
