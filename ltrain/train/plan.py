"""Memory per GPU and tokens per step of a training config, from the model's config alone.

The model is built on the `meta` device (no memory, no weights) to count parameters exactly;
model-state memory comes from DeepSpeed's own estimators (the functions its
`estimate_zero{2,3}_model_states_mem_needs_all_cold` tables print), split into parameters,
gradients and optimizer state with the same byte counts; activations are our estimate for the
recipe's forward (bf16, sdpa with a 4D mask, logits only where a label follows).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from ltdata.shards.remote import build_manifest
from ltdata.storage import is_url
from ltrain.train.config import TrainConfig
from ltrain.train.model import count_parameters, meta_model, model_config

GIB = 2**30


@dataclass(frozen=True, slots=True)
class MemoryRow:
    """Bytes per GPU for one ZeRO setting (plus DeepSpeed's CPU estimate per node)."""

    label: str
    zero_stage: int
    offload_optimizer: bool
    offload_params: bool
    params: int
    grads: int
    optimizer: int
    buffers: int
    activations: int
    cpu: int

    @property
    def model_states(self) -> int:
        return self.params + self.grads + self.optimizer + self.buffers

    @property
    def total(self) -> int:
        return self.model_states + self.activations


@dataclass(frozen=True)
class Plan:
    model: str
    total_params: int
    largest_layer_params: int
    layers: int
    hidden: int
    vocab: int
    gpus_per_node: int
    nodes: int
    micro_batch: int
    accumulation: int
    global_batch: int
    seq_len: int
    tokens_per_step: int
    expected_tokens_per_step: int | None
    activations: dict[str, int]
    rows: list[MemoryRow] = field(default_factory=list)
    chosen: str = ""


def activation_bytes(config, *, micro_batch: int, seq_len: int, checkpointing: bool, bytes_per: int = 2
                     ) -> dict[str, int]:
    """Activation memory of one micro-batch on one GPU, by part (an estimate, bf16).

    Per token and layer autograd keeps: the two norm inputs and outputs, q/k/v, the attention
    output, gate/up/act/product of the MLP (6h + 2kv + 4i values), plus the RMSNorms' fp32 copies
    (8h values at 2x the bytes). With checkpointing only each layer's input stays, and one layer is
    live while it is recomputed. Logits exist only at label positions (at most all tokens): bf16
    logits and their gradient, plus one fp32 cross-entropy chunk.
    """
    h, i, layers, vocab = config.hidden_size, config.intermediate_size, config.num_hidden_layers, config.vocab_size
    head_dim = getattr(config, "head_dim", None) or h // config.num_attention_heads
    kv = config.num_key_value_heads * head_dim
    tokens = micro_batch * seq_len
    per_layer = tokens * bytes_per * (6 * h + 2 * kv + 4 * i + 16 * h)
    parts = {"layer inputs": tokens * h * bytes_per * layers, "one layer recomputed": per_layer} if checkpointing \
        else {"all layers": per_layer * layers}
    parts["logits and their gradient"] = 2 * tokens * vocab * bytes_per + 2 * min(tokens, 4096) * vocab * 4
    parts["4D mask"] = micro_batch * seq_len * seq_len * bytes_per
    return parts


def memory_rows(total: int, largest: int, *, gpus_per_node: int, nodes: int, activations: int) -> list[MemoryRow]:
    """The five ZeRO settings. DeepSpeed counts 2 + 18/N bytes per parameter for ZeRO-2 (full bf16
    weights; bf16 + fp32 gradients 6, fp32 master weights + Adam m, v 12 per partition) and 18/N for
    ZeRO-3 (weights 2, gradients 4, optimizer 12), plus a gather buffer of 4 x the largest module."""
    from deepspeed.runtime.zero.stage3 import estimate_zero3_model_states_mem_needs
    from deepspeed.runtime.zero.stage_1_and_2 import estimate_zero2_model_states_mem_needs

    n = gpus_per_node * nodes
    rows = []
    for offload in (False, True):
        cpu, gpu = estimate_zero2_model_states_mem_needs(total, gpus_per_node, nodes, cpu_offload=offload)
        states = (2 * total, 0, 0) if offload else (2 * total, 6 * total // n, 12 * total // n)
        rows.append(_row("ZeRO-2" + (" + offload optimizer" if offload else ""), 2, offload, False, states, gpu,
                         cpu, activations))
    for offload, params_off in ((False, False), (True, False), (True, True)):
        cpu, gpu, buffer = estimate_zero3_model_states_mem_needs(total, largest, gpus_per_node, nodes,
                                                                 cpu_offload=offload, cpu_offload_params=params_off)
        params = 0 if params_off else 2 * total // n
        states = (params, 0, 0) if offload else (params, 4 * total // n, 12 * total // n)
        label = "ZeRO-3" + (" + offload optimizer" if offload else "") + (" + params" if params_off else "")
        rows.append(_row(label, 3, offload, params_off, states, gpu, cpu, activations))
    return rows


def _row(label, stage, offload, params_off, states, gpu_total, cpu, activations) -> MemoryRow:
    params, grads, optimizer = states
    return MemoryRow(label=label, zero_stage=stage, offload_optimizer=offload, offload_params=params_off,
                     params=params, grads=grads, optimizer=optimizer, buffers=max(gpu_total - sum(states), 0),
                     activations=activations, cpu=cpu)


def mean_sample_tokens(data: list[str], curriculum: str | None = None) -> float | None:
    """Mean tokens per sample over the build directories that exist (a URL's manifest read in place), or
    over every sample a built curriculum trains (None if there is none)."""
    tokens = rows = 0
    if curriculum is not None and (Path(curriculum) / "curriculum.json").exists():
        stages = json.loads((Path(curriculum) / "curriculum.json").read_text(encoding="utf-8"))["stages"]
        tokens, rows = sum(s["tokens"] for s in stages), sum(s["samples"] for s in stages)
    for path in data:
        if is_url(path) or (Path(path) / "manifest.json").exists():
            counts = build_manifest(path)["counts"]
            tokens, rows = tokens + counts["tokens"], rows + counts["records_written"]
    return tokens / rows if rows else None


def make_plan(cfg: TrainConfig, *, gpus_per_node: int, nodes: int = 1, seq_len: int = 4096) -> Plan:
    from ltdata.errors import ConfigError

    world = gpus_per_node * nodes
    problems = [p for p in cfg.runtime_problems(world_size=world, cuda=True)]
    if problems:
        raise ConfigError(problems)
    config = model_config(cfg.model)
    total, largest = count_parameters(meta_model(config))
    accumulation = cfg.accumulation_steps(world)
    global_batch = cfg.global_batch(world)
    acts = activation_bytes(config, micro_batch=cfg.micro_batch_size, seq_len=seq_len,
                            checkpointing=cfg.gradient_checkpointing)
    mean = mean_sample_tokens(cfg.data, cfg.curriculum)
    rows = memory_rows(total, largest, gpus_per_node=gpus_per_node, nodes=nodes, activations=sum(acts.values()))
    chosen = next(r.label for r in rows if (r.zero_stage, r.offload_optimizer, r.offload_params)
                  == (cfg.zero_stage, cfg.offload_optimizer, cfg.offload_params))
    return Plan(model=cfg.model, total_params=total, largest_layer_params=largest, layers=config.num_hidden_layers,
                hidden=config.hidden_size, vocab=config.vocab_size, gpus_per_node=gpus_per_node, nodes=nodes,
                micro_batch=cfg.micro_batch_size, accumulation=accumulation, global_batch=global_batch,
                seq_len=seq_len, tokens_per_step=global_batch * seq_len,
                expected_tokens_per_step=None if mean is None else round(global_batch * mean),
                activations=acts, rows=rows, chosen=chosen)


def format_plan(plan: Plan, name: str = "") -> str:
    gib = lambda b: f"{b / GIB:7.1f}" if b else "      -"   # noqa: E731
    world = plan.gpus_per_node * plan.nodes
    gpus = f"{world} GPU{'s' if world > 1 else ''}"
    lines = [f"ltrain plan{' ' + name if name else ''}: {plan.model} on {gpus} "
             f"({plan.nodes} node{'s' if plan.nodes > 1 else ''} x {plan.gpus_per_node})",
             f"model: {plan.total_params:,} parameters ({plan.total_params / 1e9:.2f} B), {plan.layers} layers, "
             f"hidden {plan.hidden}, vocab {plan.vocab}; largest module {plan.largest_layer_params:,}",
             f"batch: micro {plan.micro_batch} x accumulation {plan.accumulation} x {gpus} = "
             f"{plan.global_batch} sequences per step; at most {plan.tokens_per_step:,} tokens per step "
             f"({plan.global_batch} x {plan.seq_len})"]
    if plan.expected_tokens_per_step is not None:
        lines.append(f"expected: {plan.expected_tokens_per_step:,} tokens per step (mean sample length of the data)")
    else:
        lines.append("expected: pass --data DIR (an ltdata build) for the mean tokens per step of real data")
    parts = " + ".join(f"{k} {v / GIB:.1f}" for k, v in plan.activations.items())
    lines += [f"activations per GPU (micro-batch {plan.micro_batch} x {plan.seq_len} tokens): "
              f"{sum(plan.activations.values()) / GIB:.1f} GiB = {parts}", "",
              f"{'GiB per GPU':<36} params   grads  optim. buffers  activ.   total | CPU/node"]
    for r in plan.rows:
        mark = "  <- this config" if r.label == plan.chosen else ""
        lines.append(f"{r.label:<36}{gib(r.params)} {gib(r.grads)} {gib(r.optimizer)} {gib(r.buffers)} "
                     f"{gib(r.activations)} {gib(r.total)} | {r.cpu / GIB:7.1f}{mark}")
    lines.append("model states (params + grads + optim. + buffers) are DeepSpeed's estimates; CPU/node too")
    return "\n".join(lines)
