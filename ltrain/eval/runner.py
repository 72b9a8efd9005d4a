"""`run_eval`: generate every benchmark item once, store each sample as it finishes, then score.

The output directory holds `run.json` (what produced it: checked on resume, so a resumed run
never mixes checkpoints or methods), `samples/<dataset>.jsonl` and the results table. Items already
in a sample file are skipped, so re-running the same command after a crash finishes the job.
"""
from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

from ltdata.atomic import atomic_write_text
from ltdata.errors import ConfigError
from ltrain.eval.adjudication import Adjudications
from ltrain.eval.config import EvalConfig
from ltrain.eval.items import EvalItem
from ltrain.eval.prompts import FROM_CHECKPOINT, PromptBuilder, checkpoint_system_prompt
from ltrain.eval.readers import load_benchmark
from ltrain.eval.report import RUN_FILE, sample_frame, summarize, write_report
from ltrain.eval.samples import SAMPLES_DIR, SampleFile, new_sample, samples_path
from ltrain.eval.scoring import ADJUDICATIONS_FILE, default_adjudications, rescore_dir, score_sample
from ltrain.meta import read_checkpoint_meta, read_json_object

RESUME_KEYS = ("model", "method", "generation", "template", "system_prompt")
RESULTS = ("results.md", "results.csv")


def checkpoint_template(model: str) -> str:
    """The template the checkpoint was trained with (its ltrain.json), else auto."""
    return str(read_checkpoint_meta(model).get("template") or "auto")


def resolve_system_prompt(config: EvalConfig) -> str | None:
    """`--system-prompt` as given, or (not given) the system turn the checkpoint was trained with."""
    if config.system_prompt != FROM_CHECKPOINT:
        return config.system_prompt
    return checkpoint_system_prompt(read_checkpoint_meta(config.model))


def prepare_out(config: EvalConfig, template: str, system_prompt: str | None) -> dict[str, Any]:
    """Create OUT or check that it holds the same run (written to run.json, atomically)."""
    out = Path(config.out)
    method = config.generation.method
    info = {"model": str(Path(config.model).resolve()), "method": method,
            "label": config.label or method, "generation": config.decoding(), "template": template,
            "system_prompt": system_prompt, "datasets": list(config.datasets)}
    run_file = out / RUN_FILE
    if config.overwrite and run_file.exists():       # manual verdicts survive: they are not the run's
        shutil.rmtree(out / SAMPLES_DIR, ignore_errors=True)
        for name in (RUN_FILE, *RESULTS):
            (out / name).unlink(missing_ok=True)
    if run_file.exists():
        old = read_json_object(run_file)
        changed = [k for k in RESUME_KEYS if old.get(k) != info[k]]
        if changed:
            raise ConfigError(f"{run_file}: this directory holds a run with different {', '.join(changed)}; "
                              "use a new --out, or --overwrite to replace it")
        info["datasets"] = list(dict.fromkeys(old.get("datasets", []) + info["datasets"]))
    elif out.exists() and any(p.name != ADJUDICATIONS_FILE for p in out.iterdir()):
        raise ConfigError(f"--out {out}: not empty and not an eval output (no {RUN_FILE})")
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(run_file, json.dumps(info, indent=2, ensure_ascii=False) + "\n")
    return info


def run_eval(config: EvalConfig, *, generator: Any = None, tokenizer: Any = None, progress: bool = True):
    """Run (or resume) an eval; returns the summary table (polars) it also writes to OUT/results.*.

    `generator` defaults to `Generator.from_checkpoint(config.model, ...)`, `tokenizer` to its own.
    Flags, data and OUT are all checked before the model is loaded.
    """
    template = config.template or checkpoint_template(config.model)
    system_prompt = resolve_system_prompt(config)
    items = {name: load_benchmark(name, data_dir=config.data_dir, path=config.data.get(name), limit=config.limit)
             for name in config.datasets}
    prepare_out(config, template, system_prompt)
    generator = generator or _load_generator(config)
    tokenizer = tokenizer or generator.tokenizer
    builder = PromptBuilder(tokenizer, template=template, system_prompt=system_prompt)
    adjudications = Adjudications(config.adjudications or default_adjudications(config.out))
    for name, dataset_items in items.items():
        with SampleFile(samples_path(config.out, name)) as samples:
            samples.check_same_items(dataset_items)
            todo = [item for item in dataset_items if item.id not in samples.done]
            _generate(todo, samples, generator, builder, adjudications, config.generation.batch_size,
                      desc=name if progress else None)
    scored = rescore_dir(config.out, adjudications)
    summary = summarize(sample_frame(scored, config.label or config.generation.method))
    write_report(summary, md=Path(config.out) / RESULTS[0], csv=Path(config.out) / RESULTS[1])
    return summary


def _generate(todo: list[EvalItem], samples: SampleFile, generator, builder: PromptBuilder,
              adjudications: Adjudications, batch_size: int, *, desc: str | None) -> None:
    from tqdm import tqdm

    with tqdm(total=len(todo), desc=desc, unit="item", disable=desc is None, file=sys.stderr) as bar:
        for start in range(0, len(todo), batch_size):
            batch = todo[start:start + batch_size]
            texts = [builder.text(item) for item in batch]
            generations = generator.generate(builder.encode(texts))
            for item, text, generation in zip(batch, texts, generations, strict=True):
                samples.append(score_sample(new_sample(item, text, generation), adjudications))
            bar.update(len(batch))


def _load_generator(config: EvalConfig):
    import torch
    from ltrain.generate import Generator

    device = config.device or ("cuda" if torch.cuda.is_available() else None)
    return Generator.from_checkpoint(config.model, config.generation, device=device, dtype=config.dtype)
