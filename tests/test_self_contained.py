"""A fresh clone is the whole product: no file may reach outside the repository.

Two checks over every text file in the tree: no reference to the workplace's sibling folder of
reference material, and no `Path(__file__)` walk (`.parents[k]` or `.parent` chains) that climbs
above the repository root from where the file sits.
"""
from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SKIPPED_DIRS = {".git", ".venv", "__pycache__", ".pytest_cache", "ltdata-out", "ltrain-out", "build", "dist"}
TEXT_SUFFIXES = {".py", ".md", ".yaml", ".yml", ".toml", ".json", ".jsonl", ".txt", ".cfg", ".sh", ""}
OUTSIDE = re.compile(r"\.\./" + "shared" + r"|[\"']shared[\"']\s*/\s*[\"']data[\"']")
FILE_WALK = re.compile(r"Path\(__file__\)(?:\.resolve\(\))?(\.parents\[(\d+)\]|(?:\.parent\b)+)")


def _text_files() -> list[Path]:
    files = []
    for path in REPO.rglob("*"):
        relative = path.relative_to(REPO)
        if any(part in SKIPPED_DIRS or part.endswith(".egg-info") for part in relative.parts):
            continue
        if path.is_file() and path.suffix in TEXT_SUFFIXES and path.stat().st_size < 2_000_000:
            files.append(path)
    return files


def _levels_up(match: re.Match) -> int:
    """How many folders above the file's own folder the walk ends: `.parent` is the folder itself."""
    if match.group(2) is not None:
        return int(match.group(2))
    return match.group(1).count(".parent") - 1


def test_the_scan_sees_the_repository():
    names = {p.relative_to(REPO).as_posix() for p in _text_files()}
    assert {"README.md", "pyproject.toml", "tests/conftest.py", "ltdata/__init__.py"} <= names


def test_no_file_refers_to_the_sibling_reference_folder():
    offenders = []
    for path in _text_files():
        for line_no, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            if OUTSIDE.search(line):
                offenders.append(f"{path.relative_to(REPO)}:{line_no}: {line.strip()}")
    assert not offenders, "files reach outside the repository:\n" + "\n".join(offenders)


def test_no_file_walks_above_the_repository_root():
    offenders = []
    for path in _text_files():
        if path.suffix != ".py":
            continue
        depth = len(path.relative_to(REPO).parts) - 1  # folders between the root and the file
        for match in FILE_WALK.finditer(path.read_text(encoding="utf-8")):
            if _levels_up(match) > depth:
                offenders.append(f"{path.relative_to(REPO)}: {match.group(0)}")
    assert not offenders, "paths resolved above the repository root:\n" + "\n".join(offenders)


def test_the_walk_rule_catches_a_climb():
    """The rule itself, on made-up lines: tests/x.py may go up one level, not two."""
    inside = FILE_WALK.search("ROOT = Path(__file__).resolve().parents[1]")
    outside = FILE_WALK.search("X = Path(__file__)" + ".resolve().parent.parent.parent / 'data'")
    assert _levels_up(inside) == 1 and _levels_up(outside) == 2
    assert OUTSIDE.search("see ../" + "shared/data") and OUTSIDE.search("p / 'shared" + "' / 'data'")
