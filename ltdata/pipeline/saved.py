"""The build's tokenizer with the layout's tokens, saved once per tokenizer and options and reused.

Preparing it needs transformers (and so torch): seconds of start-up before any record is read. What a
build needs afterwards is small: the saved files, which the workers encode with `tokenizers` alone,
and a few facts about them. Both are kept in a store (`$LTDATA_CACHE`, else `~/.cache/ltdata`) keyed
by the tokenizer directory's files, the options that shape the tokenizer and the library versions, so
a build with a tokenizer it has prepared before starts without importing transformers. A hub id is
prepared anew every time (it can change upstream); a store that cannot be written is skipped.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from ltdata.atomic import publish_once
from ltdata.cache import cache_root
from ltdata.config import BuildConfig
from ltdata.sequence import codec, prepare, special_tokens, template
from ltdata.sequence.builder import LayoutSettings
from ltdata.sequence.codec import TOKENIZER_FILE, SpecialIds
from ltdata.sequence.prepare import layout_settings
from ltdata.sequence.special_tokens import SpecialTokenIds
from ltdata.sequence.template import PromptTemplate

FACTS = "layout.json"
SAVED_DIR = "tokenizer"
# the code that decides what is saved and what the facts say: an edit to it is a new store entry
_DECIDING_MODULES = (codec, prepare, special_tokens, template)


@dataclass(frozen=True)
class SavedTokenizer:
    """A prepared tokenizer's saved files and what a build needs to know of them."""

    directory: Path                 # save_pretrained output
    settings: LayoutSettings
    family: str | None
    added_tokens: list[str]
    specials: SpecialIds
    rust: bool                      # workers encode with tokenizer.json alone (else they load transformers)


def saved_tokenizer(cfg: BuildConfig, scratch: Path) -> SavedTokenizer:
    """From the store if this tokenizer was prepared before with these options, else prepared now.

    A tokenizer that cannot be stored (a hub id, an unwritable store) is saved into `scratch`.
    """
    key = store_key(cfg)
    entry = store_root() / key if key else None
    if entry is not None and (entry / FACTS).is_file():
        found = _read(entry, cfg)
        if found is not None:
            return found
        shutil.rmtree(entry, ignore_errors=True)            # damaged: prepared again below
    from ltdata.pipeline.prepared import prepared

    current = prepared(cfg)
    if entry is not None:
        temporary = entry.with_name(f".{entry.name}.tmp-{uuid.uuid4().hex}")
        try:
            _write(current, temporary)
            publish_once(temporary, entry, complete=lambda found: (found / FACTS).is_file())
            found = _read(entry, cfg)
            if found is not None:
                return found
        except OSError:
            shutil.rmtree(temporary, ignore_errors=True)
    shutil.rmtree(scratch, ignore_errors=True)
    facts = _save(current, scratch)
    return _from_facts(scratch, facts, cfg)


def store_root() -> Path:
    return cache_root() / "tokenizers"


def store_key(cfg: BuildConfig) -> str | None:
    """What decides the saved tokenizer; None for a source that is not a local directory."""
    from ltdata.pipeline.tokenizer import bundled_tokenizer_path

    source = cfg.tokenizer or bundled_tokenizer_path()
    if not os.path.isdir(source):
        return None
    files = [[p.name, p.stat().st_size, p.stat().st_mtime_ns] for p in sorted(Path(source).iterdir()) if p.is_file()]
    code = hashlib.sha256(b"".join(Path(m.__file__).read_bytes() for m in _DECIDING_MODULES)).hexdigest()
    payload = {"source": os.path.abspath(source), "files": files, "anllm": cfg.mode == "anllm",
               "cache_tokens": cfg.cache_tokens, "template": cfg.template, "code": code,
               "versions": [metadata.version(name) for name in ("transformers", "tokenizers")],
               # save_pretrained records whether loading was offline (tokenizer_config.json's local_files_only)
               "offline": [os.environ.get(name) for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")]}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:32]


def _write(current, directory: Path) -> None:
    directory.mkdir(parents=True)
    facts = _save(current, directory / SAVED_DIR)
    (directory / FACTS).write_text(json.dumps(facts, indent=1) + "\n", encoding="utf-8")


def _save(current, directory: Path) -> dict:
    """save_pretrained into `directory`; the facts are read off the saved copy, as a worker would load it."""
    from transformers import AutoTokenizer

    from ltdata.sequence.codec import is_plain_fast

    current.tokenizer.save_pretrained(str(directory))
    reloaded = AutoTokenizer.from_pretrained(str(directory))
    specials = SpecialIds.of(reloaded)
    settings = current.layout.settings
    rust = (directory / TOKENIZER_FILE).is_file() and is_plain_fast(reloaded) and settings.template.kind != "tokenizer"
    return {"files": {p.name: p.stat().st_size for p in sorted(directory.iterdir()) if p.is_file()},
            "family": current.layout.family, "added_tokens": current.layout.added_tokens,
            "n_cache": settings.n_cache, "template": {"kind": settings.template.kind,
                                                      "eos_token": settings.template.eos_token},
            "ids": settings.ids.to_manifest(), "special_ids": list(specials.special),
            "marker_ids": list(specials.markers), "rust": rust}


def _read(entry: Path, cfg: BuildConfig) -> SavedTokenizer | None:
    """The stored tokenizer, or None if its files are not all there with the sizes they were saved with."""
    try:
        facts = json.loads((entry / FACTS).read_text(encoding="utf-8"))
        intact = all((entry / SAVED_DIR / name).stat().st_size == size for name, size in facts["files"].items())
    except (OSError, ValueError, KeyError):
        return None
    return _from_facts(entry / SAVED_DIR, facts, cfg) if intact else None


def _from_facts(directory: Path, facts: dict, cfg: BuildConfig) -> SavedTokenizer:
    settings = layout_settings(cfg, n_cache=facts["n_cache"], template=PromptTemplate(**facts["template"]),
                               ids=SpecialTokenIds.from_manifest(facts["ids"]))
    specials = SpecialIds(special=tuple(facts["special_ids"]), markers=tuple(facts["marker_ids"]))
    return SavedTokenizer(directory=directory, settings=settings, family=facts["family"],
                          added_tokens=list(facts["added_tokens"]), specials=specials, rust=facts["rust"])
