"""`EvalConfig`: the one typed configuration of `ltrain eval`, checked once, every problem at once.

The CLI flags are generated from these fields (their `help` is the `--help` text), so each option is
documented here only. `generation()` is the part that decides the outputs, recorded in run.json.
"""
from __future__ import annotations

from dataclasses import MISSING, dataclass, fields
from typing import Any, Literal

from ltdata.config import Template, option
from ltdata.errors import ConfigError
from ltrain.eval.prompts import FROM_CHECKPOINT
from ltrain.eval.readers import DATASETS
from ltrain.generate.config import Method

Dtype = Literal["float32", "bfloat16", "float16"]


@dataclass
class EvalConfig:
    """Everything `ltrain eval` needs; the CLI flags are these fields."""

    model: str | None = option(None, "checkpoint directory (AutoModelForCausalLM + tokenizer + ltrain.json); "
                                   "required", metavar="CKPT")
    datasets: list[str] = option(list(DATASETS), "benchmarks to run, comma-separated")
    data_dir: str | None = option(None, "directory holding NAME/ or NAME.{jsonl,json,csv,parquet} per dataset",
                                metavar="DIR")
    data: dict[str, str] = option({}, "explicit location of one dataset, NAME=PATH (repeatable; overrides --data-dir)")
    out: str = option("eval-out", "output directory (run.json, samples/*.jsonl, results.md/.csv)", metavar="DIR")
    method: Method = option("lightthinker", "decoding method: lightthinker | anllm | vanilla | h2o | "
                                          "lightthinker-nocache (an ablation: cache tokens hidden too)")
    label: str | None = option(None, "row name in the results table; None = the method")
    limit: int | None = option(None, "only the first N items of each dataset; None = all")
    batch_size: int = option(1, "prompts per generate() call (1 = the paper's per-sample timing)")
    max_new_tokens: int = option(10240, "generation budget per item, in output tokens")
    do_sample: bool = option(False, "sample instead of greedy decoding (the paper is greedy)")
    temperature: float = option(1.0, "sampling temperature (with --do-sample)")
    top_p: float = option(1.0, "nucleus sampling mass (with --do-sample)")
    seed: int | None = option(None, "sampling seed; None = unseeded")
    kv_budget: int | None = option(None, "h2o only: total KV entries kept")
    kv_recent: int | None = option(None, "h2o only: how many of them are the most recent tokens; None = half")
    template: Template | None = option(None, "prompt template; None = the checkpoint's ltrain.json `template`, "
                                           "else auto (chosen from the tokenizer's vocabulary)")
    system_prompt: str | None = option(FROM_CHECKPOINT, "system turn: 'checkpoint' = the one the checkpoint's "
                                     "training prompts carry (its ltrain.json `system_prompt`; the Bespoke-Stratos "
                                     "prompt when it records none); 'none' = no system turn; else this text")
    device: str | None = option(None, "torch device; None = cuda when available, else cpu")
    dtype: Dtype | None = option(None, "model dtype; None = the checkpoint's")
    adjudications: str | None = option(None, "manual verdicts file; None = OUT/adjudications.jsonl", metavar="FILE")
    overwrite: bool = option(False, "start OUT afresh: delete its run.json, samples and results (manual verdicts "
                                  "are kept); without it an existing run is resumed")

    def __post_init__(self) -> None:
        problems = []
        if not self.model:
            problems.append("--model: a checkpoint directory is required")
        unknown = [d for d in self.datasets if d not in DATASETS]
        if unknown:
            problems.append(f"--datasets: unknown {', '.join(unknown)}; choose from {', '.join(DATASETS)}")
        for name, value in (("--limit", self.limit), ("--batch-size", self.batch_size),
                            ("--max-new-tokens", self.max_new_tokens)):
            if value is not None and value < 1:
                problems.append(f"{name}: must be at least 1, got {value}")
        if problems:
            raise ConfigError(problems)

    def generation(self) -> dict[str, Any]:
        """The `GenerationConfig` fields that decide the outputs (checked on resume)."""
        return {"method": self.method, "max_new_tokens": self.max_new_tokens, "do_sample": self.do_sample,
                "temperature": self.temperature, "top_p": self.top_p, "seed": self.seed,
                "kv_budget": self.kv_budget, "kv_recent": self.kv_recent}


def config_fields() -> list[tuple[str, Any, dict]]:
    """(name, default, metadata) per field: what the CLI turns into flags."""
    return [(f.name, f.default if f.default_factory is MISSING else f.default_factory(), dict(f.metadata))
            for f in fields(EvalConfig)]
