"""Where ltdata keeps what it can make again: `$LTDATA_CACHE`, else `$XDG_CACHE_HOME/ltdata`, else `~/.cache/ltdata`.

Prepared tokenizers and local copies of remote builds live under one root, chosen here once, so one
variable moves (or isolates, in tests) all of it. Everything under it may be deleted at any time.
"""
from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    """The root of ltdata's caches (each kind in a folder of its own)."""
    if os.environ.get("LTDATA_CACHE"):
        return Path(os.environ["LTDATA_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "ltdata"
