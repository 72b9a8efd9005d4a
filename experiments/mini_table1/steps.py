"""The experiment's steps, each the command a user would type (`ltdata build`, `ltrain train`, ...).

A step whose output is complete is skipped, so rerunning after an interruption finishes the job.
Commands run one thread each, two at a time on a 2-core machine: tiny models gain nothing from a
second intra-op thread, and on a busy machine two OpenMP threads wait on each other (about 10x
slower per step, measured). Every command and its output go to `OUT/logs/`.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

from experiments.mini_table1.settings import Settings
from experiments.mini_table1.task import make_splits
from experiments.mini_table1.tokenizer import train_tokenizer
from ltdata.atomic import atomic_write_text

# name -> (mode, splitter, splitter options): the four builds, and the model each fine-tunes.
BUILDS = {
    "vanilla": ("vanilla", "thought", {}),
    "lightthinker": ("lightthinker", "thought", {}),
    "anllm": ("anllm", "thought", {}),
    "lightthinker-tokens": ("lightthinker", "tokens", {"tokens": "WINDOW"}),
}
ONE_THREAD = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}
# A process that ran `ltrain train` in-process (a test session, a notebook) keeps its rendezvous
# variables; a child that inherited MASTER_PORT would try to bind the parent's port.
LAUNCH_VARIABLES = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT")


@dataclass(frozen=True)
class Evaluation:
    label: str
    model: str       # which fine-tuned model (a BUILDS key)
    method: str
    extra: tuple[str, ...] = ()

    @property
    def slug(self) -> str:
        return "".join(c if c.isalnum() else "-" for c in self.label.lower()).strip("-").replace("--", "-")


def evaluations(settings: Settings) -> list[Evaluation]:
    return [
        Evaluation("Vanilla", "vanilla", "vanilla"),
        Evaluation(f"H2O ({settings.h2o_budget})", "vanilla", "h2o", ("--kv-budget", str(settings.h2o_budget))),
        Evaluation("AnLLM", "anllm", "anllm"),
        Evaluation("LightThinker (thought)", "lightthinker", "lightthinker"),
        Evaluation("LightThinker (tokens)", "lightthinker-tokens", "lightthinker"),
        Evaluation("Control: LightThinker, cache hidden", "lightthinker", "lightthinker-nocache"),
    ]


@dataclass(frozen=True)
class Job:
    step: str
    command: list[str]


def tool(name: str) -> list[str]:
    """The console script installed beside this interpreter (the venv's), else the one on PATH."""
    local = Path(sys.executable).with_name(name)
    found = str(local) if local.exists() else shutil.which(name)
    if found is None:
        raise SystemExit(f"mini_table1: `{name}` is not installed; run the README's setup command")
    return [found]


class Runner:
    def __init__(self, out: Path, settings: Settings, *, parallel: int = 2, log=print):
        self.out, self.settings, self.parallel, self.log = out, settings, parallel, log
        (out / "logs").mkdir(parents=True, exist_ok=True)
        self.timings: dict[str, float] = {}

    def run(self, jobs: list[Job | None]) -> None:
        """Run the jobs, `parallel` at a time, each logging to logs/<step>.log; any failure stops the experiment."""
        pending = [job for job in jobs if job is not None]
        running: list[tuple[Job, subprocess.Popen, float, object]] = []
        env = {**{k: v for k, v in os.environ.items() if k not in LAUNCH_VARIABLES}, **ONE_THREAD}
        while pending or running:
            while pending and len(running) < self.parallel:
                job = pending.pop(0)
                self.log(f"[{job.step}] {' '.join(Path(c).name if i == 0 else c for i, c in enumerate(job.command))}")
                handle = (self.out / "logs" / f"{job.step}.log").open("w", encoding="utf-8")
                process = subprocess.Popen(job.command, stdout=handle, stderr=subprocess.STDOUT,
                                           stdin=subprocess.DEVNULL, env=env)
                running.append((job, process, time.perf_counter(), handle))
            time.sleep(0.2)
            for entry in [e for e in running if e[1].poll() is not None]:
                job, process, start, handle = entry
                handle.close()
                running.remove(entry)
                self.timings[job.step] = time.perf_counter() - start
                if process.returncode != 0:
                    for _, other, _, _ in running:
                        other.kill()
                    log_path = self.out / "logs" / f"{job.step}.log"
                    tail = log_path.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-5:]
                    raise SystemExit(f"mini_table1: step {job.step} failed (exit {process.returncode}); "
                                     f"see {log_path}:\n" + "\n".join(tail))

    # ---- data and tokenizer -------------------------------------------------------------------
    def data(self) -> None:
        data = self.out / "data"
        if (data / "test.jsonl").exists():
            return
        s = self.settings
        train, test = make_splits(s.task, train=s.train_problems, test=s.test_problems)
        overlap = {p.key for p in train} & {p.key for p in test}
        if overlap:
            raise SystemExit(f"mini_table1: {len(overlap)} test problems also in training")
        data.mkdir(parents=True, exist_ok=True)
        records = [p.training_record(f"dial-{i:05d}") for i, p in enumerate(train)]
        _write_jsonl(data / "train.jsonl", records)
        texts = [r[k] for r in records for k in ("prompt", "reasoning", "answer_text")]
        train_tokenizer(texts, self.out / "tokenizer")
        _write_jsonl(data / "test.jsonl", [p.gsm8k_record() for p in test])
        self.log(f"[data] {len(train)} training and {len(test)} test problems (disjoint), tokenizer trained")

    # ---- builds ---------------------------------------------------------------------------------
    def build(self, name: str) -> Job | None:
        out = self.out / "builds" / name
        if (out / "manifest.json").exists():
            return None
        mode, splitter, options = BUILDS[name]
        command = [*tool("ltdata"), "build", "--input", str(self.out / "data" / "train.jsonl"), "--output", str(out),
                   "--tokenizer", str(self.out / "tokenizer"), "--mode", mode, "--splitter", splitter,
                   "--cache-tokens", str(1 if mode == "anllm" else self.settings.cache_tokens),
                   "--max-length", "none", "--workers", "1", "--overwrite",
                   "--no-progress"]
        for key, value in options.items():
            command += ["--splitter-option", f"{key}={self.settings.token_window if value == 'WINDOW' else value}"]
        return Job(f"build-{name}", command)

    def stats(self) -> None:
        """`ltdata stats` of each build, and all four side by side."""
        (self.out / "stats").mkdir(exist_ok=True)
        builds = [str(self.out / "builds" / name) for name in BUILDS]
        for name, build in zip([*BUILDS, "compared"], [*([b] for b in builds), builds]):
            shown = subprocess.run([*tool("ltdata"), "stats", *build], capture_output=True, text=True, check=True)
            (self.out / "stats" / f"{name}.txt").write_text(shown.stdout, encoding="utf-8")

    # ---- training ---------------------------------------------------------------------------------
    def model_config(self) -> Path:
        """A Qwen2 config for random weights whose vocabulary is the built tokenizer's."""
        from transformers import AutoTokenizer

        path = self.out / "model.json"
        vocab = max(len(AutoTokenizer.from_pretrained(str(self.out / "builds" / n / "tokenizer"))) for n in BUILDS)
        shape = self.settings.model
        config = {"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "vocab_size": vocab,
                  "hidden_size": shape.hidden_size, "intermediate_size": shape.intermediate_size,
                  "num_hidden_layers": shape.num_hidden_layers, "num_attention_heads": shape.num_attention_heads,
                  "num_key_value_heads": shape.num_attention_heads, "max_position_embeddings": 1024,
                  "rope_theta": 10000.0, "rms_norm_eps": 1e-6, "tie_word_embeddings": shape.tie_word_embeddings,
                  "hidden_act": "silu", "initializer_range": shape.initializer_range, "use_cache": True,
                  "torch_dtype": "float32"}
        path.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
        return path

    def base(self) -> Job | None:
        """The shared starting point: random weights trained on the uncompressed (vanilla) build.

        The paper fine-tunes an instruct model that already reasons; here the base model learns the
        task first, and then every method gets the same fine-tuning budget on its own build.
        """
        s = self.settings
        return self._train("base", model=str(self.model_config()), data="vanilla", steps=s.base_steps, lr=s.base_lr)

    def finetune(self, name: str) -> Job | None:
        s = self.settings
        return self._train(name, model=str(checkpoint(self.out / "models" / "base")), data=name,
                           steps=s.finetune_steps, lr=s.finetune_lr)

    def _train(self, name: str, *, model: str, data: str, steps: int, lr: float) -> Job | None:
        run_dir = self.out / "models" / name
        if (run_dir / "latest").exists():
            return None
        shutil.rmtree(run_dir, ignore_errors=True)
        s = self.settings
        recipe = {"model": model, "data": [str(self.out / "builds" / data)], "output_dir": str(run_dir),
                  "stage": name, "attn_implementation": "sdpa", "bf16": False,
                  "micro_batch_size": s.batch_size, "global_batch_size": s.batch_size,
                  "epochs": 1000, "max_steps": steps, "lr": lr, "lr_schedule": "cosine",
                  "warmup_ratio": 0.05, "zero_stage": 2, "optimizer": "adamw_torch", "seed": s.seed,
                  "log_every": 50, "save_every_steps": None}
        config = self.out / "recipes" / f"train-{name}.yaml"
        config.parent.mkdir(exist_ok=True)
        config.write_text(yaml.safe_dump(recipe, sort_keys=False), encoding="utf-8")
        return Job(f"train-{name}", [*tool("ltrain"), "train", "--config", str(config)])

    # ---- evaluation -------------------------------------------------------------------------------
    def evaluate(self, evaluation: Evaluation) -> Job | None:
        out = self.out / "eval" / evaluation.slug
        if (out / "results.csv").exists():
            return None
        s = self.settings
        return Job(f"eval-{evaluation.slug}", [
            *tool("ltrain"), "eval", "--model", str(checkpoint(self.out / "models" / evaluation.model)),
            "--datasets", "gsm8k", "--data", f"gsm8k={self.out / 'data' / 'test.jsonl'}",
            "--method", evaluation.method, "--label", evaluation.label, "--out", str(out),
            "--batch-size", str(s.eval_batch_size), "--max-new-tokens", str(s.max_new_tokens),
            "--overwrite", *evaluation.extra])

    def report(self, runs: list[Path]) -> Path:
        report = self.out / "report"
        report.mkdir(exist_ok=True)
        self.run([Job("report", [*tool("ltrain"), "eval", "report", *map(str, runs),
                                 "--md", str(report / "table.md"), "--csv", str(report / "table.csv"),
                                 "--png", str(report / "accuracy_vs_memory.png")])])
        return report


def checkpoint(run_dir: Path) -> Path:
    """The newest checkpoint of an `ltrain train` output directory (its `latest` file)."""
    return run_dir / (run_dir / "latest").read_text(encoding="utf-8").strip()


def _write_jsonl(path: Path, records: list[dict]) -> None:
    atomic_write_text(path, "".join(json.dumps(r) + "\n" for r in records))
