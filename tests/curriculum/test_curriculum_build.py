"""A curriculum built end to end: shared builds made once, plans written and read back, the CLI views."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.ipc as ipc
import pytest
import yaml

from ltdata.cli.main import main
from ltdata.curriculum import Curriculum, build_curriculum, load_curriculum
from ltdata.pipeline.build import SAMPLE_DATA

RUN = {"workers": 1, "processes": False, "progress": False}


@pytest.fixture(scope="module")
def traces(tmp_path_factory) -> Path:
    """The first 8 bundled Bespoke records (real Sky-T1 traces)."""
    path = tmp_path_factory.mktemp("curriculum-data") / "bespoke8.jsonl"
    lines = (SAMPLE_DATA / "bespoke_sky-t1.jsonl").read_text(encoding="utf-8").splitlines()[:8]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def recipe(traces: Path, output: Path) -> dict:
    return {"output": str(output), "seed": 11,
            "build": {"input": [str(traces)], "format": "bespoke", "max_length": None},
            "stages": [
                {"name": "warmup", "sources": [{"build": {"mode": "vanilla"}}], "epochs": 1, "order": "shuffle"},
                {"name": "compress", "order": "sort", "tokens": 60_000,
                 "sources": [{"build": {"mode": "lightthinker"}, "weight": 3},
                             {"build": {"mode": "vanilla"}, "weight": 1}]},
            ]}


@pytest.fixture(scope="module")
def built(traces, tmp_path_factory):
    output = tmp_path_factory.mktemp("curriculum") / "out"
    return build_curriculum(Curriculum.from_dict(recipe(traces, output)), **RUN)


def rows_of(directory: str) -> list[dict]:
    manifest = json.loads((Path(directory) / "manifest.json").read_text())
    out = []
    for shard in manifest["shards"]:
        with pa.memory_map(str(Path(directory) / shard["file"])) as source:
            out += ipc.open_file(source).read_all().to_pylist()
    return out


def test_identical_builds_are_made_once_and_shared(built):
    assert len(list((built.directory / "builds").iterdir())) == 2
    warmup, compress = built.stages
    assert warmup.sources[0] == compress.sources[1]
    modes = [json.loads((Path(d) / "manifest.json").read_text())["mode"] for d in compress.sources]
    assert modes == ["lightthinker", "vanilla"]


def test_stage_contents_follow_the_recipe(built):
    warmup, compress = built.stages
    assert sorted(warmup.row.tolist()) == list(range(8)) and set(warmup.source.tolist()) == {0}
    # sort: short to long, each sample's length is its row's real length
    assert np.all(np.diff(compress.num_tokens) >= 0)
    lengths = [[r["num_tokens"] for r in rows_of(d)] for d in compress.sources]
    assert compress.num_tokens.tolist() == [lengths[s][r] for s, r in zip(compress.source, compress.row)]
    # the budget: the shortest schedule reaching 60k tokens, 3 compressed samples per vanilla one
    assert compress.tokens >= 60_000
    shares = np.bincount(compress.source, minlength=2)
    assert abs(shares[0] - 3 * shares[1]) <= 3


def test_the_plan_reads_back_identically(built):
    again = load_curriculum(built.directory)
    for a, b in zip(built.stages, again.stages):
        assert (a.name, a.sources) == (b.name, b.sources)
        assert a.source.tolist() == b.source.tolist() and a.row.tolist() == b.row.tolist()
    assert again.tokenizer == built.tokenizer and (again.tokenizer / "tokenizer.json").exists()


def test_rebuilding_reuses_every_finished_build(built, traces):
    manifests = sorted((built.directory / "builds").glob("*/manifest.json"))
    stamps = [m.stat().st_mtime_ns for m in manifests]
    again = build_curriculum(Curriculum.from_dict(recipe(traces, built.directory)), **RUN)
    assert [m.stat().st_mtime_ns for m in manifests] == stamps
    assert [s.row.tolist() for s in again.stages] == [s.row.tolist() for s in built.stages]


@pytest.mark.slow
def test_two_worker_processes_give_the_same_orders(built, traces, tmp_path):
    other = build_curriculum(Curriculum.from_dict(recipe(traces, tmp_path / "two")),
                             workers=2, processes=True, progress=False)
    for a, b in zip(built.stages, other.stages):
        assert a.source.tolist() == b.source.tolist() and a.row.tolist() == b.row.tolist()
    first = sorted((built.directory / "stages").iterdir())
    second = sorted((tmp_path / "two" / "stages").iterdir())
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]


def test_cli_builds_validates_and_shows_a_curriculum(traces, tmp_path, capsys):
    path = tmp_path / "curriculum.yaml"
    path.write_text(yaml.safe_dump({"curriculum": recipe(traces, tmp_path / "cli")}))
    assert main(["validate", str(path)]) == 0
    assert main(["build", "--config", str(path), "--workers", "1", "--no-processes", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "ltdata: stage warmup: 8 samples" in out
    assert main(["stats", str(tmp_path / "cli"), "--png", str(tmp_path / "c.png")]) == 0
    table = capsys.readouterr().out
    assert "warmup" in table and "compress" in table and (tmp_path / "c.png").read_bytes()[:4] == b"\x89PNG"


def test_cli_validate_names_the_key_of_a_missing_input(tmp_path, capsys):
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump({"curriculum": {"stages": [
        {"name": "a", "sources": [{"build": {"input": ["/no/such.jsonl"]}}, {"shards": str(tmp_path / "none")}]}]}}))
    assert main(["validate", str(path)]) == 2
    out = capsys.readouterr().out
    assert "  - curriculum.stages[0].sources[0].build.input: no such file, directory or glob match: /no/such.jsonl" in out
    assert f"  - curriculum.stages[0].sources[1].shards: no finished ltdata build in {tmp_path / 'none'}" in out
