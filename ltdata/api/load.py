"""`ltdata.load`: finished builds as one memory-mapped `datasets.Dataset`, for HF Trainer / TRL users.

The library's front door to `ltdata.loading.hf_dataset`: nothing is copied into RAM or into the HF
cache (shards are Arrow IPC files, which `datasets.Dataset.from_file` cannot read, so they are mapped
with pyarrow and wrapped directly).
"""
from __future__ import annotations

import os
from typing import TYPE_CHECKING, Sequence

if TYPE_CHECKING:
    import datasets


def load(directory: str | os.PathLike | Sequence[str | os.PathLike], *,
         columns: Sequence[str] | None = None) -> "datasets.Dataset":
    """The rows of every shard the manifest(s) list, in order; `columns` keeps only those."""
    from ltdata.loading.hf import hf_dataset

    return hf_dataset(directory, columns=columns)
