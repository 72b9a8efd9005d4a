"""`ltdata.load`: finished builds as one memory-mapped `datasets.Dataset`, for HF Trainer / TRL users.

The library's front door to `ltdata.loading.hf_dataset`: nothing is copied into RAM or into the HF
cache (shards are Arrow IPC files, which `datasets.Dataset.from_file` cannot read, so they are mapped
with pyarrow and wrapped directly). A build at a URL (`s3://...`) is mapped from its local copy in
ltdata's cache (`ltdata.shards.remote`), fetched once per build.
"""
from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Mapping, Sequence

if TYPE_CHECKING:
    import datasets


def load(directory: str | os.PathLike | Sequence[str | os.PathLike], *, columns: Sequence[str] | None = None,
         storage_options: Mapping[str, Any] | None = None) -> "datasets.Dataset":
    """The rows of every shard the manifest(s) list, in order; `columns` keeps only those.

    `storage_options` go to the fsspec filesystem of URL directories (endpoint, credentials).
    """
    from ltdata.loading.hf import hf_dataset
    from ltdata.shards.remote import local_build

    given = [directory] if isinstance(directory, (str, os.PathLike)) else list(directory)
    return hf_dataset([local_build(d, storage_options) for d in given], columns=columns)
