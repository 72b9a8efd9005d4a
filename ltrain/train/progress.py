"""What a run tells its user: a line per logged step on stdout, every step in log.jsonl, a tqdm bar.

Only rank 0 speaks. log.jsonl is the machine-readable loss curve (one JSON object per optimizer
step, naming its stage); on resume the entries after the resumed step are cut, so the file stays
one clean curve.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from tqdm import tqdm

from ltdata.atomic import atomic_write_text

LOG_FILE = "log.jsonl"


class TrainLogger:
    def __init__(self, output_dir: str | Path, *, main: bool, progress: bool, log_every: int):
        self.main, self.progress, self.log_every = main, progress, log_every
        self.path = Path(output_dir) / LOG_FILE
        self.bar = None

    def begin(self, *, total_steps: int, start_step: int) -> None:
        """Start the curve at `start_step` (cutting what a previous run logged after it) and the bar."""
        if not self.main:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        cut_log(self.path, start_step)
        if self.progress:
            self.bar = tqdm(total=total_steps, initial=start_step, desc="ltrain", unit="step", dynamic_ncols=True)

    def info(self, message: str) -> None:
        if not self.main:
            return
        if self.bar is not None:
            self.bar.write(f"ltrain: {message}", file=sys.stdout)
        else:
            print(f"ltrain: {message}", flush=True)

    def step(self, record: dict) -> None:
        if not self.main:
            return
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")
        if self.bar is not None:
            self.bar.update(1)
            staged = record.get("epoch") is None   # a curriculum step
            stage = {"stage": f"{record['stage']} {record['stage_step']}/{record['stage_steps']}"} if staged else {}
            self.bar.set_postfix(**stage, loss=f"{record['loss']:.4f}", lr=f"{record['lr']:.2e}")
        if record["step"] % self.log_every == 0:
            self.info(format_step(record))

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def format_step(r: dict) -> str:
    """One log line; a curriculum's steps (epoch None) say their stage and their step within it."""
    norm = f" | grad-norm {r['grad_norm']:.3f}" if r.get("grad_norm") is not None else ""
    where = (f"epoch {r['epoch']:.2f}" if r.get("epoch") is not None
             else f"stage {r['stage']} {r['stage_step']}/{r['stage_steps']}")
    return (f"step {r['step']}/{r['total_steps']} | {where} | loss {r['loss']:.4f} | "
            f"lr {r['lr']:.3e}{norm} | {r['tokens_per_s']:,.0f} tok/s")


def read_log(path: str | Path) -> list[dict]:
    path = Path(path)
    if path.is_dir():
        path = path / LOG_FILE
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def cut_log(path: Path, step: int) -> None:
    """Keep only entries up to `step` (atomically): a resumed run rewrites what came after."""
    if not path.exists():
        return
    kept = [r for r in read_log(path) if r["step"] <= step]
    atomic_write_text(path, "".join(json.dumps(r) + "\n" for r in kept))
