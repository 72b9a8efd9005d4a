"""Checkpoints: a `from_pretrained` directory plus what it takes to resume exactly.

    step-000040/  config.json, model*.safetensors (16-bit weights, gathered under ZeRO-3)
                  tokenizer files (copied from the shards' tokenizer/)
                  ltrain.json (the contract: special tokens, mode, cache tokens, template, the system
                               prompt the training prompts carry (null = none), config, step;
                               stage, stage_index, stage_step, stage_steps; curriculum and its plan hashes)
                  deepspeed/  optimizer, scheduler and weight partitions;  rng/rank-N.pt
    latest        the name of the newest complete checkpoint

Every rank writes into a hidden temp directory; rank 0 renames it when all are done, so a crash
never leaves a half checkpoint that `resume: auto` would pick up.
"""
from __future__ import annotations

import random
import shutil
from pathlib import Path

import numpy as np
import torch

from ltdata.atomic import atomic_write_text, publish, remove
from ltdata.errors import ConfigError
from ltdata.shards.manifest import write_json_atomic
from ltrain.train.distributed import Ranks, barrier
from ltrain.meta import read_checkpoint_meta
from ltrain.train.model import CHECKPOINT_METADATA

LATEST = "latest"
DEEPSPEED_TAG = "deepspeed"


def step_dir(output_dir: str | Path, step: int) -> Path:
    return Path(output_dir) / f"step-{step:06d}"


def checkpoints(output_dir: str | Path) -> list[Path]:
    return sorted(p for p in Path(output_dir).glob("step-*") if p.is_dir())


def latest_checkpoint(output_dir: str | Path) -> Path | None:
    pointer = Path(output_dir) / LATEST
    return Path(output_dir) / pointer.read_text().strip() if pointer.exists() else None


def rng_state() -> dict:
    state = {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state()
    return state


def set_rng_state(state: dict) -> None:
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state(state["cuda"])


def save_checkpoint(engine, path: Path, *, ranks: Ranks, metadata: dict, tokenizer_dir: Path,
                    with_state: bool, keep_last: int | None) -> Path:
    """Write the whole checkpoint (a collective call: every rank must enter it).

    Not `atomic_path`: every rank writes into the temporary directory, so its name must not depend on
    the process, and only rank 0 publishes it once all ranks are done.
    """
    temporary = path.with_name(f".{path.name}.tmp")
    if ranks.main:
        remove(temporary)
        temporary.mkdir(parents=True)
    barrier()
    if engine.zero_optimization_partition_weights():
        state_dict = engine._zero3_consolidated_16bit_state_dict()   # collective; None off rank 0
    else:
        state_dict = engine.module.state_dict() if ranks.main else None
    if ranks.main:
        engine.module.save_pretrained(temporary, state_dict=state_dict)
        for item in tokenizer_dir.iterdir():
            shutil.copy2(item, temporary / item.name)
        write_json_atomic(temporary / CHECKPOINT_METADATA, metadata)
    if with_state:
        engine.save_checkpoint(str(temporary), tag=DEEPSPEED_TAG, client_state={"step": metadata["step"]},
                               save_latest=False)
        (temporary / "rng").mkdir(exist_ok=True)
        torch.save(rng_state(), temporary / "rng" / f"rank-{ranks.rank}.pt")
    barrier()
    if ranks.main:
        publish(temporary, path)
        atomic_write_text(path.parent / LATEST, path.name + "\n")
        if keep_last is not None:
            for old in checkpoints(path.parent)[:-keep_last]:
                shutil.rmtree(old)
    barrier()
    return path


def resolve_resume(resume: str, output_dir: str | Path) -> Path | None:
    """`auto` -> the newest complete checkpoint in output_dir (None if there is none), else the path."""
    if resume == "auto":
        return latest_checkpoint(output_dir)
    path = Path(resume)
    if not (path / CHECKPOINT_METADATA).exists():
        raise ConfigError(f"resume: {path} is not an ltrain checkpoint (no {CHECKPOINT_METADATA})")
    if not (path / DEEPSPEED_TAG).is_dir():
        raise ConfigError(f"resume: {path} holds weights only (saved with save_optimizer_state: false); "
                          f"start a new stage from it with `model: {path}` instead")
    return path


def load_state(engine, path: Path, *, ranks: Ranks) -> int:
    """Restore weights, optimizer, scheduler and this rank's RNG; returns the step to continue after."""
    loaded, client = engine.load_checkpoint(str(path), tag=DEEPSPEED_TAG, load_optimizer_states=True,
                                            load_lr_scheduler_states=True)
    if loaded is None:
        raise ConfigError(f"resume: DeepSpeed found no state in {path / DEEPSPEED_TAG}")
    rng = path / "rng" / f"rank-{ranks.rank}.pt"
    if rng.exists():
        set_rng_state(torch.load(rng, weights_only=False))
    return int(client["step"])


def read_metadata(path: Path) -> dict:
    return read_checkpoint_meta(path)
