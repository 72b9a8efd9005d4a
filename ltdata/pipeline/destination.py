"""Where a build writes: a local directory or a prefix on an object store, written the same way.

Object stores have no rename, so every file appears in one step either way: locally a temporary
sibling renamed over the final name (`ltdata.atomic`), on a store one PUT of a finished local file.
Workers publish their own shards and part files here; no data passes through the driver. The
manifest, written last, is the commit marker: without it a directory is an unfinished build.
"""
from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ltdata.atomic import atomic_path, remove
from ltdata.pipeline.stages import Options
from ltdata.storage import check_writable, is_remote, reporting, resolve, shown


@dataclass(frozen=True, slots=True)
class Destination:
    """The output directory `url` (a path or an fsspec URL) and its filesystem's options.

    Small, hashable and picklable: it travels to the workers inside the build's job.
    """

    url: str
    storage_options: Options = Options()

    @classmethod
    def of(cls, url: str, storage_options: Any = None) -> Destination:
        check_writable(url)
        return cls(url=url, storage_options=Options.of(storage_options))

    @property
    def remote(self) -> bool:
        return is_remote(self.url)

    @property
    def local_path(self) -> Path:
        """The directory itself, for a local destination (`file://` URLs included)."""
        return Path(self.url.removeprefix("file://"))

    @property
    def shown_as(self) -> Path | str:
        """What a user is told and given back: the local directory as a Path, else the URL."""
        return shown(self.url) if self.remote else self.local_path

    def absolute(self) -> Destination:
        """The same place named so that any process finds it (a local path made absolute)."""
        return self if self.remote else Destination(str(self.local_path.resolve()), self.storage_options)

    def join(self, name: str) -> str:
        return f"{self.url.rstrip('/')}/{name}" if self.remote else str(self.local_path / name)

    def _remote(self, name: str = "") -> tuple[Any, str]:
        fs, root = resolve(self.url, self.storage_options.to_dict())
        return fs, f"{root.rstrip('/')}/{name}" if name else root.rstrip("/")

    def exists(self, name: str) -> bool:
        if not self.remote:
            return (self.local_path / name).exists()
        fs, path = self._remote(name)
        with reporting(self.join(name)):
            return fs.exists(path)

    def is_empty(self) -> bool:
        if not self.remote:
            return not (self.local_path.is_dir() and any(self.local_path.iterdir()))
        fs, root = self._remote()
        with reporting(self.url):
            fs.invalidate_cache()
            return not fs.find(root, maxdepth=None, withdirs=False)

    def read_text(self, name: str) -> str:
        if not self.remote:
            return (self.local_path / name).read_text(encoding="utf-8")
        fs, path = self._remote(name)
        with reporting(self.join(name)):
            return fs.cat_file(path).decode("utf-8")

    def write_text(self, name: str, text: str) -> None:
        """`text` appears under `name` whole or not at all."""
        with self.staged(name) as local:
            local.write_text(text, encoding="utf-8")

    def write_json(self, name: str, data: Any) -> None:
        self.write_text(name, json.dumps(data, indent=2, ensure_ascii=False) + "\n")

    @contextmanager
    def staged(self, name: str) -> Iterator[Path]:
        """A local path to write; on success it is published as `name` in one step, on failure it goes.

        A file the block deletes (or never writes) is not published.
        """
        if not self.remote:
            (self.local_path / name).parent.mkdir(parents=True, exist_ok=True)
            with atomic_path(self.local_path / name) as temporary:
                yield temporary
            return
        with tempfile.TemporaryDirectory(prefix="ltdata-") as scratch:
            temporary = Path(scratch) / Path(name).name
            yield temporary
            if temporary.exists():
                fs, path = self._remote(name)
                with reporting(self.join(name)):
                    fs.put_file(str(temporary), path)

    def put_tree(self, local: Path, name: str) -> None:
        """Copy a local directory's files under `name`, replacing what was there."""
        if not self.remote:
            with atomic_path(self.local_path / name) as temporary:
                shutil.copytree(local, temporary)
            return
        self.remove(name)
        fs, root = self._remote(name)
        with reporting(self.join(name)):
            for file in sorted(p for p in local.rglob("*") if p.is_file()):
                fs.put_file(str(file), f"{root}/{file.relative_to(local).as_posix()}")

    def get_tree(self, name: str, local: Path) -> None:
        """Copy the files under `name` into the local directory `local`."""
        fs, root = self._remote(name)
        with reporting(self.join(name)):
            for path in fs.find(root):
                target = local / path.removeprefix(root + "/")
                target.parent.mkdir(parents=True, exist_ok=True)
                fs.get_file(path, str(target))

    def remove(self, name: str) -> None:
        """Delete a file, or everything under a directory name; nothing there is fine."""
        if not self.remote:
            remove(self.local_path / name)
            return
        fs, path = self._remote(name)
        with reporting(self.join(name)):
            fs.invalidate_cache()
            found = fs.find(path)
            if found:
                fs.rm(found)
            fs.invalidate_cache()

    def remove_all(self) -> None:
        """Delete the whole directory (an ltdata output being overwritten)."""
        self.remove("")
