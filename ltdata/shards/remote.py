"""Finished builds at a URL, read through a local copy: `local_build("s3://bucket/run")` -> a directory to map.

Shards are memory-mapped (`ltdata.shards.reader`) and a map needs a local file, so a build on an object
store is copied once into `<cache root>/builds/<hash of the URL>/<hash of the manifest's fingerprint>/`.
An unchanged build is then read from disk after one request for its manifest; a rebuild at the same
URL has a new fingerprint and is fetched again. A copy appears whole or not at all (temporary sibling,
then rename), so a crash or a concurrent reader never sees half of one.
"""
from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fsspec import AbstractFileSystem

from ltdata.atomic import publish_once, remove, temporary_sibling
from ltdata.cache import cache_root
from ltdata.errors import SchemaError
from ltdata.shards.reader import check_version, read_manifest
from ltdata.shards.schema import MANIFEST
from ltdata.storage import info, is_remote, is_url, reporting, resolve, shown

BUILDS = "builds"
FEW = 4                       # fetching more files than this shows a progress bar (when progress is on)
CHUNK = 8 << 20


def local_build(directory: str | os.PathLike, storage_options: Mapping[str, Any] | None = None, *,
                progress: bool = False) -> Path:
    """`directory` itself if it is on this machine (no copy), else the cached local copy of the build at that URL.

    A URL without a manifest is the `SchemaError` of an unfinished build; storage failures are one-line
    `ConfigError`s naming the URL.
    """
    given = os.fspath(directory)
    if not is_url(given):
        return Path(given)
    fs, root = resolve(given, storage_options)
    if not is_remote(given):
        return Path(root)
    root = root.rstrip("/")
    raw = _manifest_bytes(fs, root, given, storage_options)
    manifest = _parse(raw, given)
    entry = _entry(given, manifest)
    if not _complete(entry):
        remove(entry)
        with reporting(given):
            _fetch(fs, root, given, manifest, raw, entry, progress)
    return entry


def build_manifest(directory: str | os.PathLike, storage_options: Mapping[str, Any] | None = None) -> dict:
    """The version-checked manifest of a build at a path or URL; a URL's is read without fetching any shard."""
    given = os.fspath(directory)
    if not is_remote(given):
        return read_manifest(local_build(given))
    fs, root = resolve(given, storage_options)
    return _parse(_manifest_bytes(fs, root.rstrip("/"), given, storage_options), given)


def _entry(url: str, manifest: dict) -> Path:
    """Where the copy of the build at `url` with this manifest lives (or will)."""
    fingerprint = manifest.get("fingerprint") or json.dumps(manifest, sort_keys=True)
    return cache_root() / BUILDS / _digest(shown(url).rstrip("/")) / _digest(fingerprint)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _manifest_bytes(fs: AbstractFileSystem, root: str, url: str, storage_options: Mapping[str, Any] | None) -> bytes:
    if info(f"{url.rstrip('/')}/{MANIFEST}", storage_options) is None:
        raise SchemaError(f"{shown(url)}: no {MANIFEST} (not an ltdata output, or the build did not finish)")
    with reporting(url):
        return fs.cat_file(f"{root}/{MANIFEST}")


def _parse(raw: bytes, url: str) -> dict:
    where = f"{shown(url).rstrip('/')}/{MANIFEST}"
    try:
        manifest = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SchemaError(f"{where}: invalid JSON: {exc}") from None
    check_version(manifest.get("schema_version"), where=where)
    return manifest


def _complete(entry: Path) -> bool:
    """Whether a published copy is there with every shard its manifest lists (someone may have pruned it)."""
    try:
        shards = json.loads((entry / MANIFEST).read_text(encoding="utf-8"))["shards"]
    except (OSError, ValueError, KeyError):
        return False
    return all((entry / shard["file"]).is_file() for shard in shards)


def _wanted(fs: AbstractFileSystem, root: str, url: str, manifest: dict) -> dict[str, int]:
    """{relative name: size} of what a reader needs: the listed shards, the tokenizer, other top-level files
    (rejects.jsonl). Hidden working files and shards the manifest does not list stay behind."""
    found = {path[len(root) + 1:]: entry["size"] for path, entry in fs.find(root, detail=True).items()}
    tokenizer = manifest.get("tokenizer", {}).get("path", "tokenizer").rstrip("/") + "/"
    shards = [shard["file"] for shard in manifest["shards"]]
    missing = [name for name in shards if name not in found]
    if missing:
        raise SchemaError(f"{shown(url)}: the manifest lists {missing[0]}, which is not there "
                          f"({len(missing)} of {len(shards)} shards missing)")
    others = {name: size for name, size in found.items() if name.startswith(tokenizer)
              or ("/" not in name and not name.startswith(".") and not name.endswith(".arrow") and name != MANIFEST)}
    return {**{name: found[name] for name in shards}, **others}


def _fetch(fs: AbstractFileSystem, root: str, url: str, manifest: dict, raw: bytes, entry: Path,
           progress: bool) -> None:
    """Download into a temporary sibling of `entry`, the manifest last, then rename it into place."""
    from tqdm.auto import tqdm

    wanted = _wanted(fs, root, url, manifest)
    entry.parent.mkdir(parents=True, exist_ok=True)
    temporary = temporary_sibling(entry)
    remove(temporary)
    try:
        with tqdm(total=sum(wanted.values()), unit="B", unit_scale=True, desc=f"fetching {shown(url)}",
                  disable=not progress or len(wanted) <= FEW) as bar:
            for name in wanted:
                target = temporary / name
                target.parent.mkdir(parents=True, exist_ok=True)
                with fs.open(f"{root}/{name}", "rb") as source, open(target, "wb") as sink:
                    while chunk := source.read(CHUNK):
                        sink.write(chunk)
                        bar.update(len(chunk))
        (temporary / MANIFEST).write_bytes(raw)
        publish_once(temporary, entry, complete=_complete)
    finally:
        remove(temporary)
