"""`ltdata.atomic`: a published path holds the old content or the new, never a half, and no temporary stays."""
from __future__ import annotations

import pytest

from ltdata.atomic import atomic_path, atomic_write_text, publish_once


def test_success_replaces_an_existing_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "out.json"
    target.write_text("old")
    atomic_write_text(target, "new")
    assert target.read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]


def test_a_failure_inside_the_block_leaves_no_file_and_no_temporary(tmp_path):
    target = tmp_path / "out.arrow"
    with pytest.raises(RuntimeError, match="crash"):
        with atomic_path(target) as temporary:
            temporary.write_bytes(b"half")
            raise RuntimeError("crash")
    assert list(tmp_path.iterdir()) == []


def test_a_failure_keeps_the_previous_file(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as temporary:
            temporary.write_text("new")
            raise RuntimeError("crash")
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"] and target.read_text() == "old"


def test_a_directory_replaces_the_previous_one_whole(tmp_path):
    target = tmp_path / "step-000010"
    target.mkdir()
    (target / "stale.bin").write_text("old")
    with atomic_path(target) as temporary:
        temporary.mkdir()
        (temporary / "model.bin").write_text("new")
    assert sorted(p.name for p in target.iterdir()) == ["model.bin"]
    assert [p.name for p in tmp_path.iterdir()] == ["step-000010"]


def test_publish_once_keeps_the_first_complete_copy(tmp_path):
    first, second, entry = tmp_path / "a", tmp_path / "b", tmp_path / "entry"
    for directory, text in ((first, "first"), (second, "second")):
        directory.mkdir()
        (directory / "f").write_text(text)
    publish_once(first, entry, complete=lambda p: (p / "f").is_file())
    publish_once(second, entry, complete=lambda p: (p / "f").is_file())
    assert (entry / "f").read_text() == "first" and not first.exists() and not second.exists()
    second.mkdir()
    with pytest.raises(OSError):
        publish_once(second, entry, complete=lambda p: False)


def test_a_block_that_writes_nothing_publishes_nothing(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with atomic_path(target) as temporary:
        temporary.write_text("new")
        temporary.unlink()
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["out.txt"]
