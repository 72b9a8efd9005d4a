"""End-to-end builds on the bundled sample data: clusters, round trips, refusals, rejects, resume."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.ipc as ipc
import pytest
from transformers import AutoTokenizer

from ltdata.config import BuildConfig
from ltdata.errors import ConfigError, RecordError
from ltdata.masks import dense_mask
from ltdata.pipeline.build import SAMPLE_DATA, build
from ltdata.readers.formats import resolve_format
from ltdata.readers.sources import SourceSlice, expand_inputs, read_slice, count_records
from ltdata.records import Role

TEST_DATA = Path(__file__).resolve().parents[1] / "data"
BESPOKE = SAMPLE_DATA / "bespoke_sky-t1.jsonl"


def read_rows(directory: Path) -> list[dict]:
    manifest = json.loads((directory / "manifest.json").read_text())
    rows = []
    for shard in manifest["shards"]:
        with pa.memory_map(str(directory / shard["file"])) as source:
            rows += ipc.open_file(source).read_all().to_pylist()
    return rows


def shard_bytes(directory: Path) -> dict[str, bytes]:
    names = [p for p in directory.iterdir() if p.suffix in (".arrow", ".json", ".jsonl")]
    return {p.name: p.read_bytes() for p in sorted(names)}


def sources_by_id(path: Path, fmt: str) -> dict:
    kind = dict(expand_inputs([str(path)]))[str(path)]
    piece = SourceSlice(path=str(path), kind=kind, start=0, stop=count_records(str(path), kind))
    reader = resolve_format(fmt)
    traces = [reader.to_trace(r.value, r.origin) for r in read_slice(piece)]
    return {t.record_id: t for t in traces}


@pytest.fixture(scope="module")
def sample_build(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("build") / "out"
    build(BuildConfig(input=[str(BESPOKE)], output=str(out), workers=1, processes=False, progress=False,
                      shard_size=16, max_length=None))
    return out


def test_manifest_counts_and_contract(sample_build):
    manifest = json.loads((sample_build / "manifest.json").read_text())
    records = count_records(str(BESPOKE), "jsonl")
    assert manifest["counts"]["records_read"] == records
    assert manifest["counts"]["records_written"] == records
    assert manifest["counts"]["rejected"] == {} and manifest["counts"]["dropped_overlong"] == 0
    assert [s["file"] for s in manifest["shards"]] == [f"shard-{i:05d}.arrow" for i in range(-(-records // 16))]
    tokenizer = AutoTokenizer.from_pretrained(str(sample_build / "tokenizer"))
    vocab = tokenizer.get_vocab()
    assert manifest["special_tokens"] == {"splitter": vocab["<|splitter|>"], "continue": vocab["<|continue|>"],
                                          "cache": [vocab[f"<|o_{i}|>"] for i in range(9)],
                                          "eos": vocab["<|im_end|>"]}
    assert manifest["tokenizer"]["hash"].startswith("sha256:") and manifest["inputs"][0]["format"] == "bespoke"
    assert not (sample_build / ".parts").exists() and not (sample_build / "rejects.jsonl").exists()


def test_every_row_round_trips_to_its_source_text_and_obeys_the_mask_rules(sample_build):
    tokenizer = AutoTokenizer.from_pretrained(str(sample_build / "tokenizer"))
    traces = sources_by_id(BESPOKE, "bespoke")
    rows = read_rows(sample_build)
    assert sorted(r["record_id"] for r in rows) == sorted(traces)
    for row in rows:
        role = np.array(row["role"])
        ids = np.array(row["input_ids"])
        text = tokenizer.decode(ids[np.isin(role, [Role.THOUGHT, Role.ANSWER])].tolist())
        assert text == traces[row["record_id"]].output
        labels = np.array(row["labels"])
        trained = np.isin(role, [Role.THOUGHT, Role.SPLITTER, Role.ANSWER, Role.EOS])
        assert (labels[trained] == ids[trained]).all() and (labels[~trained] == -100).all()
        assert row["position_ids"] == list(range(len(ids)))
        mask = dense_mask(row)
        thought = np.array(row["thought_index"])
        for k in range(row["num_thoughts"]):
            cont = np.flatnonzero((role == Role.CONTINUE) & (thought == k))[0]
            hidden = np.flatnonzero(((role == Role.THOUGHT) | (role == Role.SPLITTER)) & (thought == k))
            assert not mask[cont:, hidden].any() and mask[cont - 1, hidden].all()
        assert mask[np.arange(len(ids)), np.arange(len(ids))].all()


def test_two_process_cluster_writes_identical_shards(sample_build, tmp_path):
    out = tmp_path / "out2"
    build(BuildConfig(input=[str(BESPOKE)], output=str(out), workers=2, processes=True, progress=False,
                      shard_size=16, max_length=None))
    assert shard_bytes(out) == shard_bytes(sample_build)


def test_non_empty_output_is_refused_and_overwrite_only_deletes_ltdata_outputs(sample_build, tmp_path):
    cfg = BuildConfig(input=[str(BESPOKE)], output=str(sample_build), processes=False, progress=False)
    with pytest.raises(ConfigError, match="is not empty; use --resume"):
        build(cfg)
    stranger = tmp_path / "mine"
    stranger.mkdir()
    (stranger / "thesis.tex").write_text("precious")
    with pytest.raises(ConfigError, match="does not look like an ltdata output"):
        build(cfg.replace(output=str(stranger), overwrite=True))
    assert (stranger / "thesis.tex").read_text() == "precious"


def test_inputs_that_cannot_be_planned_change_no_output(sample_build, tmp_path):
    missing = str(tmp_path / "missing.jsonl")
    cfg = BuildConfig(input=[missing], output=str(tmp_path / "new"), processes=False, progress=False)
    with pytest.raises(ConfigError, match="missing.jsonl"):
        build(cfg)
    assert not (tmp_path / "new").exists()
    before = shard_bytes(sample_build)
    with pytest.raises(ConfigError, match="missing.jsonl"):
        build(cfg.replace(output=str(sample_build), overwrite=True))
    assert shard_bytes(sample_build) == before and (sample_build / "manifest.json").is_file()


def test_resume_of_a_finished_build_is_a_no_op_and_a_changed_plan_is_refused(sample_build):
    before = shard_bytes(sample_build)
    cfg = BuildConfig(input=[str(BESPOKE)], output=str(sample_build), processes=False, progress=False,
                      shard_size=16, max_length=None, resume=True)
    build(cfg)
    assert shard_bytes(sample_build) == before
    with pytest.raises(ConfigError, match="differ from the build"):
        build(cfg.replace(cache_tokens=4))
    assert shard_bytes(sample_build) == before


def test_skip_writes_rejects_and_raise_names_the_place(tmp_path):
    bad = TEST_DATA / "malformed_bespoke.jsonl"
    out = tmp_path / "skip"
    result = build(BuildConfig(input=[str(bad)], output=str(out), format="bespoke", on_error="skip",
                               processes=False, progress=False, max_length=None))
    rejects = [json.loads(line) for line in (out / "rejects.jsonl").read_text().splitlines()]
    counts = result.manifest["counts"]
    assert counts["records_read"] == counts["records_written"] + len(rejects)
    assert counts["rejected"] == {r: sum(x["reason"] == r for x in rejects) for r in {x["reason"] for x in rejects}}
    assert {x["reason"] for x in rejects} >= {"invalid_json", "unclosed_reasoning", "bad_utf8"}
    assert all(x["line"] is not None and x["file"] == str(bad) for x in rejects)
    with pytest.raises(RecordError) as caught:
        build(BuildConfig(input=[str(bad)], output=str(tmp_path / "raise"), format="bespoke",
                          processes=False, progress=False))
    first = rejects[0]
    assert str(caught.value) == first["error"] and str(caught.value).startswith(f"{bad}:{first['line']}")


def test_overlong_records_are_dropped_and_counted(tmp_path):
    result = build(BuildConfig(input=[str(BESPOKE)], output=str(tmp_path / "o"), max_length=3000,
                               processes=False, progress=False))
    counts = result.manifest["counts"]
    rows = read_rows(tmp_path / "o")
    assert counts["dropped_overlong"] > 0
    assert counts["records_written"] + counts["dropped_overlong"] == counts["records_read"] == len(rows) + counts["dropped_overlong"]
    assert max(r["num_tokens"] for r in rows) <= 3000


PLUGINS = Path(__file__).resolve().parents[1] / "plugins"


@pytest.mark.slow
def test_a_killed_build_resumes_to_identical_bytes(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(PLUGINS))
    flags = ["--input", str(BESPOKE), "--splitter", "slow_splitter:SlowThoughtSplitter", "--shard-size", "4",
             "--max-length", "none", "--workers", "1", "--no-processes", "--no-progress"]
    reference = tmp_path / "reference"
    build(BuildConfig(input=[str(BESPOKE)], output=str(reference), splitter="slow_splitter:SlowThoughtSplitter",
                      shard_size=4, max_length=None, workers=1, processes=False, progress=False))

    out = tmp_path / "killed"
    command = [sys.executable, "-m", "ltdata.cli.main", "build", *flags, "--output", str(out)]
    env = dict(os.environ, PYTHONPATH=str(PLUGINS), LTDATA_SLOW_SPLITTER_DELAY="0.25")
    process = subprocess.Popen(command, env=env, start_new_session=True)
    deadline = time.time() + 120
    while time.time() < deadline and len(list((out / ".parts").glob("*.json"))) < 2:
        time.sleep(0.02)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    finished = len(list((out / ".parts").glob("*.json")))
    assert 2 <= finished < len(list(reference.glob("*.arrow"))) and not (out / "manifest.json").exists()

    env["LTDATA_SLOW_SPLITTER_DELAY"] = "0"
    subprocess.run(command + ["--resume"], check=True, env=env, capture_output=True)
    assert shard_bytes(out) == shard_bytes(reference)
    assert (out / "tokenizer" / "tokenizer.json").read_bytes() == (reference / "tokenizer" / "tokenizer.json").read_bytes()
