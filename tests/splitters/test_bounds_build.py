"""Token bounds through a real build: defaults leave shards byte-identical; bounds hold on the shard's thoughts."""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pyarrow.ipc as ipc
import pytest

import ltdata
from ltdata.config import BuildConfig
from ltdata.errors import ConfigError
from ltdata.pipeline.build import build
from ltdata.records import Role

REPO = Path(__file__).resolve().parents[2]
SMALL = REPO / "tests" / "data" / "readers" / "bespoke.jsonl"
# sha256 over the shard files of builds of SMALL, given as this relative path from the repository root
# (the `source` column holds it), made by the code before token bounds existed (commit fe092c5, the
# pinned tokenizers and pyarrow): the defaults must keep writing exactly these bytes.
BEFORE_BOUNDS = {
    "thought": "e4244a8d0355b4ec85df63d4a4b4e54c505f433f5b1486d56fe2e2c227e3fbed",
    "tokens": "2cf3b2737efd525a407546d35512ed19f9b289a18cffdfe6ef36b901c33049b4",
}
QUIET = dict(workers=1, processes=False, progress=False, max_length=None, shard_size=16)


def shards_digest(directory: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(directory.glob("shard-*.arrow")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def thought_lengths(directory: Path) -> list[list[int]]:
    """Per record, the text tokens of each thought, read from the shards."""
    out = []
    for path in sorted(directory.glob("shard-*.arrow")):
        for row in ipc.open_file(str(path)).read_all().to_pylist():
            role, index = np.array(row["role"]), np.array(row["thought_index"])
            out.append(np.bincount(index[role == Role.THOUGHT]).tolist())
    return out


@pytest.mark.parametrize("splitter", sorted(BEFORE_BOUNDS))
def test_default_settings_write_the_same_bytes_as_before(tmp_path, monkeypatch, splitter):
    monkeypatch.chdir(REPO)
    build(BuildConfig(input=[str(SMALL.relative_to(REPO))], output=str(tmp_path / "out"), splitter=splitter, **QUIET))
    assert shards_digest(tmp_path / "out") == BEFORE_BOUNDS[splitter]


def test_bounds_hold_on_the_thoughts_the_shards_hold(tmp_path):
    build(BuildConfig(input=[str(SMALL)], output=str(tmp_path / "plain"), **QUIET))
    build(BuildConfig(input=[str(SMALL)], output=str(tmp_path / "bounded"), min_thought_tokens=36,
                      max_thought_tokens=120, **QUIET))
    before, after = thought_lengths(tmp_path / "plain"), thought_lengths(tmp_path / "bounded")
    assert min(min(r) for r in before) < 36 and max(max(r) for r in before) > 120      # the bounds had work to do
    for lengths in after:
        assert max(lengths) <= 120
        # a thought under K only where joining it to either neighbour would pass M
        for k, n in enumerate(lengths):
            if n < 36:
                assert all(n + lengths[j] > 120 for j in (k - 1, k + 1) if 0 <= j < len(lengths))
    # the text is the same, only cut differently: each record's thought tokens change by a few at most
    assert [len(r) for r in after] != [len(r) for r in before]
    assert all(abs(sum(a) - sum(b)) <= len(b) for a, b in zip(after, before))


def test_layout_applies_the_bounds_as_build_does():
    trace = ltdata.Trace(prompt="Count.", reasoning="Where:\n\nx is the number of apples.\n\nWait, that is wrong.\n\n",
                         answer="Done.", record_id="bounds-1")
    cfg = BuildConfig(max_length=None)
    # paragraphs of 2, 7 and 6 tokens: with K = 6 "Where:" joins the next one (9), "Wait, ..." stays alone (6);
    # with K = 8 "Wait, ..." is short too and, being last, joins the block before it
    assert ltdata.layout(trace, cfg).num_thoughts == 3
    assert ltdata.layout(trace, cfg, min_thought_tokens=6).num_thoughts == 2
    assert ltdata.layout(trace, cfg, min_thought_tokens=8).num_thoughts == 1
    # balanced, band [6, 18]: cutting only before "Wait" (9 + 6 tokens) costs ln(9/18)^2 + ln(6/18)^2 - 2.0 = -0.31,
    # less than no cut (ln(15/18)^2 = 0.03) or any cut after "Where:" (2 tokens, far under K)
    assert ltdata.layout(trace, cfg, splitter="balanced", min_thought_tokens=6, max_thought_tokens=18).num_thoughts == 2


@pytest.mark.parametrize("values, message", [
    ({"min_thought_tokens": 0}, "min_thought_tokens: must be a positive integer or None (off), got 0"),
    ({"max_thought_tokens": -5}, "max_thought_tokens: must be a positive integer or None (off), got -5"),
    ({"min_thought_tokens": "36"}, "min_thought_tokens: must be an integer, got '36'"),
    ({"min_thought_tokens": 64, "max_thought_tokens": 32},
     "min_thought_tokens: must not exceed max_thought_tokens, got 64 > 32"),
])
def test_config_problems_name_the_option(values, message):
    with pytest.raises(ConfigError) as caught:
        BuildConfig(**values)
    assert caught.value.problems == [message]
