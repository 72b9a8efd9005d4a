"""The experiment's steps, each the command a user would type (`ltdata build`, `ltrain train`, ...).

Each step skips itself when its output is complete, so rerunning the experiment after an
interruption finishes it; every command and its output go to `OUT/logs/`.
"""
from __future__ import annotations

import json
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

# name -> (mode, splitter, splitter options): the four builds and the model each trains.
BUILDS = {
    "vanilla": ("vanilla", "thought", {}),
    "lightthinker": ("lightthinker", "thought", {}),
    "anllm": ("anllm", "thought", {}),
    "lightthinker-tokens": ("lightthinker", "tokens", {"tokens": "WINDOW"}),
}


@dataclass(frozen=True)
class Evaluation:
    label: str
    model: str       # which trained model (a BUILDS key)
    method: str
    extra: tuple[str, ...] = ()


def evaluations(settings: Settings) -> list[Evaluation]:
    return [
        Evaluation("Vanilla", "vanilla", "vanilla"),
        Evaluation(f"H2O ({settings.h2o_budget})", "vanilla", "h2o", ("--kv-budget", str(settings.h2o_budget))),
        Evaluation("AnLLM", "anllm", "anllm"),
        Evaluation("LightThinker (thought)", "lightthinker", "lightthinker"),
        Evaluation("LightThinker (tokens)", "lightthinker-tokens", "lightthinker"),
        Evaluation("Control: LightThinker, cache hidden", "lightthinker", "lightthinker-nocache"),
    ]


def tool(name: str) -> list[str]:
    """The console script installed beside this interpreter (the venv's), else the one on PATH."""
    local = Path(sys.executable).with_name(name)
    found = str(local) if local.exists() else shutil.which(name)
    if found is None:
        raise SystemExit(f"mini_table1: `{name}` is not installed; run the README's setup command")
    return [found]


class Runner:
    def __init__(self, out: Path, settings: Settings, *, log=print):
        self.out, self.settings, self.log = out, settings, log
        (out / "logs").mkdir(parents=True, exist_ok=True)
        self.timings: dict[str, float] = {}

    def run(self, step: str, command: list[str]) -> None:
        """Run one command, its output to logs/<step>.log; a failure stops the experiment, naming the log."""
        log_path = self.out / "logs" / f"{step}.log"
        self.log(f"[{step}] {' '.join(Path(c).name if i == 0 else c for i, c in enumerate(command))}")
        start = time.perf_counter()
        with log_path.open("w", encoding="utf-8") as fh:
            done = subprocess.run(command, stdout=fh, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.timings[step] = time.perf_counter() - start
        if done.returncode != 0:
            tail = log_path.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-5:]
            raise SystemExit(f"mini_table1: step {step} failed (exit {done.returncode}); see {log_path}:\n"
                             + "\n".join(tail))

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
    def build(self, name: str) -> Path:
        out = self.out / "builds" / name
        if (out / "manifest.json").exists():
            return out
        mode, splitter, options = BUILDS[name]
        command = [*tool("ltdata"), "build", "--input", str(self.out / "data" / "train.jsonl"), "--output", str(out),
                   "--tokenizer", str(self.out / "tokenizer"), "--mode", mode, "--splitter", splitter,
                   "--cache-tokens", str(1 if mode == "anllm" else self.settings.cache_tokens),
                   "--system-prompt", "none", "--max-length", "none", "--overwrite", "--no-progress"]
        for key, value in options.items():
            command += ["--splitter-option", f"{key}={self.settings.token_window if value == 'WINDOW' else value}"]
        self.run(f"build-{name}", command)
        stats = subprocess.run([*tool("ltdata"), "stats", str(out)], capture_output=True, text=True, check=True)
        (self.out / "stats").mkdir(exist_ok=True)
        (self.out / "stats" / f"{name}.txt").write_text(stats.stdout, encoding="utf-8")
        return out

    # ---- training ---------------------------------------------------------------------------------
    def model_config(self) -> Path:
        """A Qwen2 config with random weights; its vocabulary is the built tokenizer's."""
        from transformers import AutoTokenizer

        path = self.out / "model.json"
        vocab = max(len(AutoTokenizer.from_pretrained(str(self.out / "builds" / n / "tokenizer"))) for n in BUILDS)
        shape = self.settings.model
        config = {"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "vocab_size": vocab,
                  "hidden_size": shape.hidden_size, "intermediate_size": shape.intermediate_size,
                  "num_hidden_layers": shape.num_hidden_layers, "num_attention_heads": shape.num_attention_heads,
                  "num_key_value_heads": shape.num_attention_heads, "max_position_embeddings": 1024,
                  "rope_theta": 10000.0, "rms_norm_eps": 1e-6, "tie_word_embeddings": True,
                  "hidden_act": "silu", "initializer_range": 0.02, "use_cache": True, "torch_dtype": "float32"}
        path.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
        return path

    def train(self, name: str) -> Path:
        run_dir = self.out / "models" / name
        if (run_dir / "latest").exists():
            return _checkpoint(run_dir)
        s = self.settings
        recipe = {"model": str(self.out / "model.json"), "data": [str(self.out / "builds" / name)],
                  "output_dir": str(run_dir), "attn_implementation": "sdpa", "bf16": False,
                  "micro_batch_size": s.micro_batch_size, "global_batch_size": s.global_batch_size,
                  "epochs": 1000, "max_steps": s.steps[name], "lr": s.lr, "lr_schedule": "cosine",
                  "warmup_ratio": 0.05, "zero_stage": 2, "optimizer": "adamw_torch", "seed": s.seed,
                  "log_every": 25, "save_every_steps": None}
        config = self.out / "recipes" / f"train-{name}.yaml"
        config.parent.mkdir(exist_ok=True)
        config.write_text(yaml.safe_dump(recipe, sort_keys=False), encoding="utf-8")
        self.run(f"train-{name}", [*tool("ltrain"), "train", "--config", str(config)])
        return _checkpoint(run_dir)

    # ---- evaluation -------------------------------------------------------------------------------
    def evaluate(self, evaluation: Evaluation) -> Path:
        out = self.out / "eval" / _slug(evaluation.label)
        if (out / "results.csv").exists():
            return out
        s = self.settings
        command = [*tool("ltrain"), "eval", "--model", str(_checkpoint(self.out / "models" / evaluation.model)),
                   "--datasets", "gsm8k", "--data", f"gsm8k={self.out / 'data' / 'test.jsonl'}",
                   "--method", evaluation.method, "--label", evaluation.label, "--out", str(out),
                   "--batch-size", str(s.eval_batch_size), "--max-new-tokens", str(s.max_new_tokens),
                   "--overwrite", *evaluation.extra]
        self.run(f"eval-{_slug(evaluation.label)}", command)
        return out

    def report(self, runs: list[Path]) -> Path:
        report = self.out / "report"
        report.mkdir(exist_ok=True)
        self.run("report", [*tool("ltrain"), "eval", "report", *map(str, runs), "--md", str(report / "table.md"),
                            "--csv", str(report / "table.csv"), "--png", str(report / "accuracy_vs_memory.png")])
        return report


def _checkpoint(run_dir: Path) -> Path:
    return run_dir / (run_dir / "latest").read_text(encoding="utf-8").strip()


def _slug(label: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in label.lower()).strip("-").replace("--", "-")


def _write_jsonl(path: Path, records: list[dict]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    tmp.replace(path)
