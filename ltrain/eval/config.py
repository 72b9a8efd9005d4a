"""`EvalConfig`: the one typed configuration of `ltrain eval`, checked once, every problem at once.

It composes a `GenerationConfig` for the decoding instead of repeating its fields, and the CLI
flags are generated from both (their `help` is the `--help` text), so each option is documented
once. `decoding()` is the part that decides the outputs, recorded in run.json.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from ltdata.config import Template
from ltdata.typed_config import TypedConfig, option
from ltrain.eval.prompts import FROM_CHECKPOINT
from ltrain.eval.readers import DATASETS
from ltrain.generate.config import GenerationConfig

Dtype = Literal["float32", "bfloat16", "float16"]


@dataclass
class EvalConfig(TypedConfig):
    """Everything `ltrain eval` needs; the CLI flags are these fields."""

    model: str | None = option(None, "checkpoint directory (AutoModelForCausalLM + tokenizer + ltrain.json); "
                                   "required", metavar="CKPT")
    datasets: list[str] = option(list(DATASETS), "benchmarks to run (comma- or space-separated)", sep=",", metavar="NAME")
    data_dir: str | None = option(None, "directory holding NAME/ or NAME.{jsonl,json,csv,parquet} per dataset",
                                metavar="DIR")
    data: dict[str, str] = option({}, "explicit location of one dataset, NAME=PATH (repeatable; overrides --data-dir)",
                                   metavar="NAME=PATH")
    out: str = option("eval-out", "output directory (run.json, samples/*.jsonl, results.md/.csv)", metavar="DIR")
    generation: GenerationConfig = option(GenerationConfig(batch_size=1), "how each item is decoded; its fields "
                                          "are flags of their own (batch_size 1 = the paper's per-sample timing)")
    label: str | None = option(None, "row name in the results table; None = the method")
    limit: int | None = option(None, "only the first N items of each dataset; None = all")
    template: Template | None = option(None, "prompt template; None = the checkpoint's ltrain.json `template`, "
                                           "else auto (chosen from the tokenizer's vocabulary)")
    system_prompt: str | None = option(FROM_CHECKPOINT, "system turn: 'checkpoint' = the one the checkpoint's "
                                     "training prompts carry (its ltrain.json `system_prompt`; the Bespoke-Stratos "
                                     "prompt when it records none); 'none' = no system turn; else this text",
                                     metavar="TEXT")
    device: str | None = option(None, "torch device; None = cuda when available, else cpu")
    dtype: Dtype | None = option(None, "model dtype; None = the checkpoint's")
    adjudications: str | None = option(None, "manual verdicts file; None = OUT/adjudications.jsonl", metavar="FILE")
    overwrite: bool = option(False, "start OUT afresh: delete its run.json, samples and results (manual verdicts "
                                  "are kept); without it an existing run is resumed")

    def problems(self) -> list[str]:
        """Each named by its flag; the generation fields are checked by `GenerationConfig` itself."""
        problems = []
        if not self.model:
            problems.append("--model: a checkpoint directory is required")
        unknown = [d for d in self.datasets if d not in DATASETS]
        if unknown:
            problems.append(f"--datasets: unknown {', '.join(unknown)}; choose from {', '.join(DATASETS)}")
        if self.limit is not None and self.limit < 1:
            problems.append(f"--limit: must be at least 1, got {self.limit}")
        return problems

    def decoding(self) -> dict[str, Any]:
        """The generation options that decide the outputs (checked on resume): all but batch_size, and
        see_current only when set, so runs recorded before eval had that flag still resume."""
        out = self.generation.to_dict()
        del out["batch_size"]
        if out["see_current"] is None:
            del out["see_current"]
        return out
