"""`TrainConfig`: the one typed configuration of `ltrain train`.

Filled from a YAML preset, then from `--key value` flags (generated from these fields, so each
option is documented once, in its `help`). Every problem is collected and reported at once, each
naming its key; checks that need the launch (world size, device) live in `runtime_problems`.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Mapping

from ltdata.errors import ConfigError
from ltdata.typed_config import TypedConfig, option

Attention = Literal["sdpa", "eager", "flex_attention"]
ZeroStage = Literal[2, 3]
Schedule = Literal["cosine", "linear", "constant"]
Optimizer = Literal["adamw_torch", "adamw_deepspeed"]
PRESETS = Path(__file__).resolve().parents[1] / "configs"


@dataclass
class TrainConfig(TypedConfig):
    """Everything that decides a training run: what it reads, how it steps, where it writes."""

    model: str = option("", "base model: a local directory or hub id for AutoModelForCausalLM.from_pretrained "
                          "(an ltrain checkpoint continues a curriculum: its new-token rows are kept), or a "
                          "config.json / bundled config name (tiny-qwen2, tiny-llama) for random weights")
    data: list[str] = option([], "ltdata build output directories (any one mode; they must share a tokenizer); "
                               "a --data flag replaces a preset's curriculum", metavar="PATH")
    curriculum: str | None = option(None, "a built curriculum (`ltdata build --config pipelines/curriculum-*.yaml` "
                                        "output) instead of data: its stages run in order, each on exactly "
                                        "its plan's samples in plan order (a stage's short last global batch "
                                        "sits out), under one LR schedule over all their steps; a "
                                        "--curriculum flag replaces a preset's data", metavar="DIR")
    output_dir: str = option("ltrain-out", "where checkpoints (step-NNNNNN/), log.jsonl and `latest` go", metavar="DIR")
    stage: str = option("main", "name of this run's stage, recorded in log.jsonl and every checkpoint's ltrain.json "
                              "(a curriculum records its own stage names instead)")
    attn_implementation: Attention = option("sdpa", "sdpa or eager (the 4D float mask) or flex_attention "
                                                  "(a BlockMask; GPU only)")
    bf16: bool = option(False, "bfloat16 weights and activations (fp32 master weights in the optimizer)")
    gradient_checkpointing: bool = option(False, "recompute each layer in the backward pass to save activations")
    micro_batch_size: int = option(1, "sequences per rank per forward pass")
    global_batch_size: int | None = option(None, "sequences per optimizer step over all ranks; None = "
                                               "micro_batch_size x gradient_accumulation_steps x world size")
    gradient_accumulation_steps: int | None = option(None, "micro-batches per rank per optimizer step; None = "
                                                         "derived from global_batch_size (1 if that is None too)")
    bucket_by_length: bool = option(True, "order each global batch by length, so micro-batches pad little "
                                        "(which samples form a step is unchanged)")
    pad_to_multiple_of: int | None = option(8, "pad each micro-batch to a multiple of this many tokens")
    num_workers: int = option(0, "DataLoader worker processes building masks ahead of the model")
    epochs: int = option(1, "passes over the data (each epoch reshuffled from seed and epoch); not used by a "
                          "curriculum, whose recipe sets each stage's length")
    max_steps: int | None = option(None, "optimizer steps in total; None = epochs x steps per epoch (with a "
                                       "curriculum: stop after this many steps, None = run every stage to its end)")
    lr: float = option(2e-5, "peak learning rate")
    lr_schedule: Schedule = option("cosine", "learning-rate schedule after warmup (decays to 0)")
    warmup_ratio: float = option(0.05, "warmup steps as a fraction of all steps")
    warmup_steps: int | None = option(None, "warmup steps; None = warmup_ratio x steps")
    weight_decay: float = option(0.0, "AdamW weight decay")
    adam_beta1: float = option(0.9, "AdamW beta1")
    adam_beta2: float = option(0.999, "AdamW beta2")
    adam_eps: float = option(1e-8, "AdamW epsilon")
    max_grad_norm: float | None = option(1.0, "clip the global gradient norm to this; None = no clipping")
    optimizer: Optimizer = option("adamw_torch", "adamw_torch: torch.optim.AdamW (no compiled ops); "
                                               "adamw_deepspeed: DeepSpeed's FusedAdam / DeepSpeedCPUAdam "
                                               "under offload (JIT-compiled on first use)")
    zero_stage: ZeroStage = option(3, "ZeRO stage: 2 shards gradients and optimizer state, 3 also the weights")
    offload_optimizer: bool = option(False, "keep optimizer state (and its step) on the CPU")
    offload_params: bool = option(False, "keep the weights on the CPU between uses (ZeRO-3 only)")
    deepspeed: dict[str, Any] = option({}, "extra DeepSpeed config merged over the generated one, e.g. "
                                         "{zero_optimization: {overlap_comm: true}}", metavar="YAML")
    seed: int = option(42, "seed for new-row initialisation, data order and dropout")
    loss_chunk_tokens: int = option(4096, "label positions per chunk of the fp32 cross-entropy (bounds its memory)")
    log_every: int = option(1, "print (and write to log.jsonl) every N optimizer steps")
    save_every_steps: int | None = option(None, "save a checkpoint every N optimizer steps; None = off")
    save_every_epochs: int | None = option(1, "save a checkpoint every N epochs (with a curriculum: at the end of "
                                            "every N-th stage); None = off")
    keep_last: int | None = option(None, "keep only the newest N checkpoints; None = keep all")
    save_optimizer_state: bool = option(True, "also save the DeepSpeed state needed to resume (large for 7B)")
    resume: str | None = option(None, "a checkpoint directory to continue from, or auto (the newest in "
                                    "output_dir, if any); None = start fresh", metavar="DIR|auto")
    progress: bool = option(True, "show a progress bar on rank 0")

    def problems(self) -> list[str]:
        """Every invalid value and cross-field conflict, each naming its key (all at once)."""
        out = super().problems()
        bad = {p.split(":")[0] for p in out}
        ok = lambda *names: not bad.intersection(names)   # noqa: E731 (skip checks on mistyped keys)
        if ok("model") and not self.model:
            out.append("model: required (a model directory or hub id)")
        if ok("data", "curriculum") and self.data and self.curriculum is not None:
            out.append(f"curriculum: give data or curriculum, not both (the curriculum {self.curriculum} names "
                       f"its own data; data is {self.data})")
        elif ok("data", "curriculum") and not self.data and self.curriculum is None:
            out.append("data: required (one or more `ltdata build` output directories)")
        for name in ("micro_batch_size", "global_batch_size", "gradient_accumulation_steps", "epochs", "max_steps",
                     "log_every", "save_every_steps", "save_every_epochs", "keep_last", "pad_to_multiple_of",
                     "loss_chunk_tokens"):
            value = getattr(self, name)
            if ok(name) and value is not None and value < 1:
                out.append(f"{name}: must be a positive integer, got {value}")
        for name in ("num_workers", "warmup_steps", "weight_decay"):
            value = getattr(self, name)
            if ok(name) and value is not None and value < 0:
                out.append(f"{name}: must be 0 or more, got {value}")
        if ok("lr") and self.lr <= 0:
            out.append(f"lr: must be positive, got {self.lr}")
        if ok("warmup_ratio") and not 0 <= self.warmup_ratio < 1:
            out.append(f"warmup_ratio: must be in [0, 1), got {self.warmup_ratio}")
        if ok("max_grad_norm") and self.max_grad_norm is not None and self.max_grad_norm <= 0:
            out.append(f"max_grad_norm: must be positive (None = no clipping), got {self.max_grad_norm}")
        if ok("offload_params", "zero_stage") and self.offload_params and self.zero_stage != 3:
            out.append("offload_params: needs zero_stage 3 (ZeRO-2 keeps a full copy of the weights on each GPU)")
        if (ok("global_batch_size", "micro_batch_size") and self.global_batch_size is not None
                and self.micro_batch_size > 0 and self.global_batch_size % self.micro_batch_size):
            out.append(f"global_batch_size: {self.global_batch_size} is not a multiple of micro_batch_size "
                       f"{self.micro_batch_size}")
        return out

    def runtime_problems(self, *, world_size: int, cuda: bool) -> list[str]:
        """Checks that depend on the launch: batch arithmetic over the ranks, and the device."""
        out = []
        if self.attn_implementation == "flex_attention" and not cuda:
            out.append("attn_implementation: flex_attention cannot train on CPU (FlexAttention has no CPU "
                       "backward in torch 2.13); use sdpa, which takes the same mask as a 4D float tensor")
        if self.global_batch_size is not None:
            per_step = self.micro_batch_size * world_size
            if self.global_batch_size % per_step:
                out.append(f"global_batch_size: {self.global_batch_size} is not a multiple of micro_batch_size "
                           f"{self.micro_batch_size} x world size {world_size}")
            elif self.gradient_accumulation_steps not in (None, self.global_batch_size // per_step):
                out.append(f"gradient_accumulation_steps: {self.gradient_accumulation_steps} contradicts "
                           f"global_batch_size {self.global_batch_size} = micro_batch_size "
                           f"{self.micro_batch_size} x world size {world_size} x "
                           f"{self.global_batch_size // per_step}; set only one of them")
        return out

    def accumulation_steps(self, world_size: int) -> int:
        if self.global_batch_size is not None:
            return self.global_batch_size // (self.micro_batch_size * world_size)
        return self.gradient_accumulation_steps or 1

    def global_batch(self, world_size: int) -> int:
        return self.micro_batch_size * self.accumulation_steps(world_size) * world_size

    @classmethod
    def locate(cls, path: str | Path) -> Path:
        return resolve_preset(path)

    @classmethod
    def merge(cls, values: dict[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
        """An override of `data` or `curriculum` replaces the file's other one too: both say what the run
        trains on."""
        values = dict(values)
        if overrides.get("curriculum") is not None and "data" not in overrides:
            values.pop("data", None)
        if overrides.get("data") and "curriculum" not in overrides:
            values.pop("curriculum", None)
        return {**values, **overrides}


def resolve_preset(name: str | Path) -> Path:
    """A YAML path as given, or the name of a bundled preset (`qwen2.5-7b` -> ltrain/configs/qwen2.5-7b.yaml)."""
    path = Path(name)
    if path.exists() or path.suffix in (".yaml", ".yml"):
        return path
    bundled = PRESETS / f"{name}.yaml"
    if bundled.exists():
        return bundled
    names = sorted(p.stem for p in PRESETS.glob("*.yaml"))
    raise ConfigError(f"config: no such file or preset: {name} (presets: {', '.join(names)})")
