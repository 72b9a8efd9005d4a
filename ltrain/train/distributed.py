"""Process-group setup for every launch: deepspeed, torchrun (one or many nodes), or a bare process.

A bare `ltrain train` gets a one-rank group of its own (so the same code path runs in tests and on a
laptop). On CPU DeepSpeed would JIT-compile a shared-memory comm op (~50 s) before falling back to
gloo; we skip that build, since gloo is what a CPU run uses anyway.
"""
from __future__ import annotations

import importlib
import os
import socket
from dataclasses import dataclass

import torch


@dataclass(frozen=True, slots=True)
class Ranks:
    rank: int
    world_size: int
    local_rank: int
    device: torch.device

    @property
    def main(self) -> bool:
        return self.rank == 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def init_distributed() -> Ranks:
    """Join (or create) the process group and pick this rank's device."""
    if "RANK" not in os.environ or "WORLD_SIZE" not in os.environ:
        os.environ.update(RANK="0", WORLD_SIZE="1", LOCAL_RANK="0", MASTER_ADDR="127.0.0.1",
                          MASTER_PORT=os.environ.get("MASTER_PORT", str(_free_port())))
    import deepspeed
    from deepspeed.accelerator import get_accelerator

    accelerator = get_accelerator()
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if accelerator.device_name() == "cpu":
        # `import deepspeed.comm.torch as m` would bind the real torch package; import the module by name.
        importlib.import_module("deepspeed.comm.torch").build_shm_op = lambda: None
        device = torch.device("cpu")
    else:
        accelerator.set_device(local_rank)
        device = torch.device(accelerator.device_name(local_rank))
    if not torch.distributed.is_initialized():
        deepspeed.init_distributed(dist_backend=accelerator.communication_backend_name())
    return Ranks(rank=torch.distributed.get_rank(), world_size=torch.distributed.get_world_size(),
                 local_rank=local_rank, device=device)


def all_reduce_sum(values: list[float], device: torch.device) -> list[float]:
    """Sum a few numbers over all ranks in one collective (float64, so token counts stay exact)."""
    tensor = torch.tensor(values, dtype=torch.float64, device=device)
    if torch.distributed.is_initialized() and torch.distributed.get_world_size() > 1:
        torch.distributed.all_reduce(tensor)
    return tensor.tolist()


def barrier() -> None:
    if torch.distributed.is_initialized() and torch.distributed.get_world_size() > 1:
        torch.distributed.barrier()
