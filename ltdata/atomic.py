"""Outputs appear whole or not at all: write under a hidden temporary sibling, then rename over the target.

A reader, a resumed build or `resume: auto` never sees half a file, and a crash leaves only a
`.NAME.tmp-PID` sibling that the next run can recognise and delete. Every file ltdata and ltrain
publish goes through here.
"""
from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator


def temporary_sibling(path: Path) -> Path:
    """Hidden, per-process name in the target's directory (a rename is atomic only within one file system)."""
    return path.with_name(f".{path.name}.tmp-{os.getpid()}")


def publish(temporary: Path, path: Path) -> None:
    """Move a finished file or directory into place.

    A file replaces the old one atomically (`os.replace`). No system call swaps a directory for a
    non-empty one, so an old directory is deleted first: for a moment neither exists, but never a
    half-written one.
    """
    if temporary.is_dir() and path.is_dir():
        shutil.rmtree(path)
    os.replace(temporary, path)


def publish_once(temporary: Path, path: Path, *, complete: Callable[[Path], bool]) -> None:
    """Move a finished directory into place, unless another process already published a complete one.

    For shared caches whose entries are named by their content (a tokenizer store entry, a fetched
    build): whoever renames first wins and later identical copies are dropped, so an entry is never
    replaced while another process reads it.
    """
    try:
        os.rename(temporary, path)
    except OSError:
        if not complete(path):
            raise
        remove(temporary)


def remove(path: Path) -> None:
    """Delete a file or directory if it exists."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary sibling to write (a file, or a directory you create); publish it on success.

    If the block raises, the temporary is removed and `path` keeps what it held before; if the block
    writes nothing (or deletes what it wrote), nothing is published.
    """
    path = Path(path)
    temporary = temporary_sibling(path)
    remove(temporary)
    try:
        yield temporary
        if temporary.exists():
            publish(temporary, path)
    finally:
        remove(temporary)


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    with atomic_path(path) as temporary:
        temporary.write_bytes(data)


def atomic_write_text(path: str | Path, text: str) -> None:
    with atomic_path(path) as temporary:
        temporary.write_text(text, encoding="utf-8")
