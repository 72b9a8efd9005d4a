"""The "Author your own dataset" code of docs/authoring.md runs as written (from a checkout, writing under out/)."""
from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

import ltdata

ROOT = Path(__file__).resolve().parents[2]
PAGE = "docs/authoring.md"
HEADING = "## Author your own dataset"


def authoring_snippet() -> tuple[str, str]:
    """(where, code): the first ```python block under the heading, up to the next `## ` heading."""
    text = (ROOT / PAGE).read_text(encoding="utf-8")
    assert HEADING in text.splitlines(), f"{PAGE} has no {HEADING!r} section"
    section = re.split(r"^## ", text.split(HEADING + "\n", 1)[1], maxsplit=1, flags=re.M)[0]
    block = re.search(r"^```python\n(.*?)^```", section, flags=re.S | re.M)
    assert block, f"{PAGE}: no ```python block under {HEADING!r}"
    return f"{PAGE}: {HEADING}", block.group(1)


@pytest.mark.slow
def test_the_authoring_page_snippet_runs(tmp_path, monkeypatch, capsys):
    where, code = authoring_snippet()
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    exec(compile(code, where, "exec"), {"__name__": "__main__"})

    printed = capsys.readouterr().out
    assert "⟦S⟧\x1b[0m\x1b[1;33m⟦o×9⟧" in printed                                  # the coloured explain view
    assert "example 0 (record_id='six-sevens'): column 'labels' must equal input_ids on trained tokens" in printed
    assert (tmp_path / "out" / "frame" / "shard-00000.arrow").read_bytes() == (
        tmp_path / "out" / "dataset" / "shard-00000.arrow").read_bytes()
    assert ltdata.load(tmp_path / "out" / "traces")["record_id"] == ["six-sevens", "hand-1"]
    assert ltdata.load(tmp_path / "out" / "steps")["num_thoughts"] == [3, 2, 2]
    assert ltdata.load(tmp_path / "out" / "written")["input_ids"][0] == ltdata.load(tmp_path / "out" / "traces")[
        "input_ids"][0]
