"""`ltrain plan`: memory per GPU and tokens per step for a preset or config, without loading weights."""
from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--preset", metavar="NAME", help="a bundled preset (tiny, qwen2.5-7b, llama3.1-8b)")
    source.add_argument("--config", metavar="FILE", help="a training config YAML")
    parser.add_argument("--gpus", type=int, required=True, metavar="N", help="GPUs per node")
    parser.add_argument("--nodes", type=int, default=1, metavar="N", help="nodes")
    parser.add_argument("--seq-len", type=int, default=4096, metavar="N",
                        help="tokens per sequence to plan for (the paper's max length)")
    parser.add_argument("--data", nargs="+", metavar="DIR", help="ltdata builds for the expected tokens per step; "
                                                                 "none = the config's data, where it exists")
    parser.add_argument("--micro-batch-size", type=int, metavar="N", help="override the config's micro batch")
    parser.add_argument("--gradient-checkpointing", action=argparse.BooleanOptionalAction, default=None,
                        help="override the config's gradient checkpointing")


def run(args: argparse.Namespace) -> int:
    from ltdata.errors import ConfigError
    from ltrain.train.config import TrainConfig
    from ltrain.train.plan import format_plan, make_plan

    if args.gpus < 1 or args.nodes < 1 or args.seq_len < 1:
        raise ConfigError("gpus/nodes/seq-len: must be positive integers")
    overrides = {k: v for k, v in (("data", args.data), ("micro_batch_size", args.micro_batch_size),
                                   ("gradient_checkpointing", args.gradient_checkpointing)) if v is not None}
    cfg = TrainConfig.from_yaml(args.preset or args.config, **overrides)
    plan = make_plan(cfg, gpus_per_node=args.gpus, nodes=args.nodes, seq_len=args.seq_len)
    print(format_plan(plan, args.preset or args.config))
    return 0
