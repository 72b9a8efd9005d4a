"""`EvalConfig`: the one typed configuration of `ltrain eval`, checked once, every problem at once.

The CLI flags are generated from these fields (their `help` is the `--help` text), so each option is
documented here only. `generation()` is the part that decides the outputs, recorded in run.json.
"""
from __future__ import annotations

from dataclasses import MISSING, dataclass, field, fields
from typing import Any, Literal

from ltdata.config import Template
from ltdata.errors import ConfigError
from ltrain.eval.prompts import BESPOKE_SYSTEM_PROMPT
from ltrain.eval.readers import DATASETS

Method = Literal["lightthinker", "anllm", "vanilla", "h2o"]
Dtype = Literal["float32", "bfloat16", "float16"]


def _opt(default: Any, help: str, **extra: Any) -> Any:
    if isinstance(default, (list, dict)):
        return field(default_factory=lambda: type(default)(default), metadata={"help": help, **extra})
    return field(default=default, metadata={"help": help, **extra})


@dataclass
class EvalConfig:
    """Everything `ltrain eval` needs; the CLI flags are these fields."""

    model: str | None = _opt(None, "checkpoint directory (AutoModelForCausalLM + tokenizer + ltrain.json); "
                                   "required", metavar="CKPT")
    datasets: list[str] = _opt(list(DATASETS), "benchmarks to run, comma-separated")
    data_dir: str | None = _opt(None, "directory holding NAME/ or NAME.{jsonl,json,csv,parquet} per dataset",
                                metavar="DIR")
    data: dict[str, str] = _opt({}, "explicit location of one dataset, NAME=PATH (repeatable; overrides --data-dir)")
    out: str = _opt("eval-out", "output directory (run.json, samples/*.jsonl, results.md/.csv)", metavar="DIR")
    method: Method = _opt("lightthinker", "decoding method: lightthinker | anllm | vanilla | h2o")
    label: str | None = _opt(None, "row name in the results table; None = the method")
    limit: int | None = _opt(None, "only the first N items of each dataset; None = all")
    batch_size: int = _opt(1, "prompts per generate() call (1 = the paper's per-sample timing)")
    max_new_tokens: int = _opt(10240, "generation budget per item, in output tokens")
    do_sample: bool = _opt(False, "sample instead of greedy decoding (the paper is greedy)")
    temperature: float = _opt(1.0, "sampling temperature (with --do-sample)")
    top_p: float = _opt(1.0, "nucleus sampling mass (with --do-sample)")
    seed: int | None = _opt(None, "sampling seed; None = unseeded")
    kv_budget: int | None = _opt(None, "h2o only: total KV entries kept")
    kv_recent: int | None = _opt(None, "h2o only: how many of them are the most recent tokens; None = half")
    template: Template | None = _opt(None, "prompt template; None = the checkpoint's ltrain.json `template`, "
                                           "else auto (chosen from the tokenizer's vocabulary)")
    system_prompt: str | None = _opt(BESPOKE_SYSTEM_PROMPT, "system turn; default the Bespoke-Stratos prompt "
                                     "the models are trained with; 'none' = no system turn")
    device: str | None = _opt(None, "torch device; None = cuda when available, else cpu")
    dtype: Dtype | None = _opt(None, "model dtype; None = the checkpoint's")
    adjudications: str | None = _opt(None, "manual verdicts file; None = OUT/adjudications.jsonl", metavar="FILE")
    overwrite: bool = _opt(False, "start OUT afresh: delete its run.json, samples and results (manual verdicts "
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
