"""Format and splitter plugins: the worked examples by import path and entry point, and broken contracts."""
from __future__ import annotations

import json
import re
import tomllib

import numpy as np
import pytest
from transformers import AutoTokenizer

import ltdata
from ltdata.cli.main import main
from ltdata.readers.formats import resolve_format
from ltdata.readers.sources import SourceSlice, read_slice

from api_helpers import EXAMPLES, read_table

REFLECTION = re.compile(r"(?<=\n\n)(?=(?:Wait|But|Alternatively|Hmm|Let me double-check)\b)")
T, A = 2, 6


@pytest.fixture
def examples_importable(monkeypatch):
    monkeypatch.syspath_prepend(str(EXAMPLES))


def thought_texts(row: dict, tokenizer) -> list[str]:
    ids, role, thought = (np.array(row[c]) for c in ("input_ids", "role", "thought_index"))
    return [tokenizer.decode(ids[(role == T) & (thought == k)].tolist()) for k in range(row["num_thoughts"])]


def test_the_worked_format_plugin_builds_its_records_as_given(examples_importable, cfg, tmp_path):
    result = ltdata.build(EXAMPLES / "steps.jsonl", tmp_path / "out", cfg, format="steps_format:StepsFormat")
    tokenizer = AutoTokenizer.from_pretrained(str(result.output / "tokenizer"))
    records = [json.loads(line) for line in (EXAMPLES / "steps.jsonl").read_text().splitlines()]
    rows = read_table(result.output).to_pylist()
    assert [r["record_id"] for r in rows] == [r["id"] for r in records]
    for record, row in zip(records, rows):
        assert thought_texts(row, tokenizer) == [step + "\n\n" for step in record["steps"]]
        answer = np.array(row["input_ids"])[np.array(row["role"]) == A]
        assert tokenizer.decode(answer.tolist()) == record["final"]
    assert result.manifest["inputs"][0]["format"] == "steps_format:StepsFormat"


def test_the_worked_splitter_plugin_cuts_where_the_reasoning_turns(examples_importable, cfg, records_file, tmp_path,
                                                                   capsys):
    out = tmp_path / "out"
    assert main(["build", "--input", str(records_file), "--output", str(out), "--tokenizer", cfg.tokenizer,
                 "--splitter", "reflection_splitter:ReflectionSplitter", "--max-length", "none", "--workers", "1",
                 "--no-processes", "--no-progress"]) == 0
    tokenizer = AutoTokenizer.from_pretrained(str(out / "tokenizer"))
    bespoke = resolve_format("bespoke")
    traces = [bespoke.to_trace(r.value, r.origin) for r in read_slice(
        SourceSlice(path=str(records_file), kind="jsonl", start=0, stop=5))]
    rows = read_table(out).to_pylist()
    for trace, row in zip(traces, rows, strict=True):
        assert thought_texts(row, tokenizer) == REFLECTION.split(trace.reasoning)
    assert sum(r["num_thoughts"] for r in rows) > 2 * len(rows)
    one = ltdata.layout(ltdata.Trace(prompt="Is 91 prime?", reasoning="It is odd.\n\nHmm, 7 * 13 = 91.\n\n"), cfg,
                        splitter="reflection_splitter:ReflectionSplitter", splitter_options={"words": ["Wait"]})
    assert one.num_thoughts == 1


def test_plugins_registered_as_entry_points_are_found_and_listed(examples_importable, cfg, tmp_path, monkeypatch,
                                                                 capsys):
    # What `pip install examples/authoring` leaves on sys.path, written from that pyproject's own tables.
    project = tomllib.loads((EXAMPLES / "pyproject.toml").read_text())["project"]
    info = tmp_path / "ltdata_authoring_example-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n")
    (info / "entry_points.txt").write_text("".join(
        f"[{group}]\n" + "".join(f"{name} = {value}\n" for name, value in table.items()) + "\n"
        for group, table in project["entry-points"].items()))
    monkeypatch.syspath_prepend(str(tmp_path))

    assert main(["plugins"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert "  steps            Worked solutions: problem, a list of steps (one thought each) and a final answer." in listed
    assert ("  reflection       A thought per line of attack: cut before each paragraph opening with Wait, But, "
            "Alternatively, ...") in listed
    record = {"id": "s", "problem": "What is 1 + 1?", "steps": ["One and one.", "Two."], "final": "2"}
    assert ltdata.layout(record, cfg, format="steps").num_thoughts == 2
    assert ltdata.layout(ltdata.Trace(prompt="p", reasoning="a\n\nWait, b\n\n"), cfg, splitter="reflection").num_thoughts == 2


def test_a_splitter_whose_spans_do_not_tile_is_refused_by_name(cfg, tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(EXAMPLES.parents[1] / "tests" / "api"))
    trace = ltdata.Trace(prompt="p", reasoning="Some reasoning text.\n\n")
    message = ("splitter 'api_plugins:Overlapping' returned spans that do not tile the text: span 1 is (3, 22) but "
               "must start at 5 and be non-empty")
    with pytest.raises(ltdata.PluginError) as from_layout:
        ltdata.layout(trace, cfg, splitter="api_plugins:Overlapping")
    with pytest.raises(ltdata.PluginError) as from_build:
        ltdata.build([trace], tmp_path / "out", cfg, splitter="api_plugins:Overlapping")
    assert str(from_layout.value) == str(from_build.value) == message


@pytest.mark.parametrize("plugin, record, error, message", [
    ("api_plugins:ReturnsDict", {"q": "x"}, ltdata.PluginError,
     "format 'api_plugins:ReturnsDict' returned dict for the record at <memory>[0]; to_trace must return an ltdata.Trace"),
    ("api_plugins:Careless", {"q": "x"}, ltdata.PluginError,
     "format 'api_plugins:Careless' failed on the record at <memory>[0]: KeyError: 'question' (a format raises "
     "RecordError for bad records)"),
    ("steps_format:StepsFormat", {"id": "s", "steps": ["a"]}, ltdata.RecordError,
     "<memory>[0] (id='s'): field 'prompt' (from format 'steps_format:StepsFormat') must be a str, got null"),
    ("steps_format:StepsFormat", {"id": "s", "problem": "p", "steps": []}, ltdata.RecordError,
     "<memory>[0] (id='s'): field 'steps' must be a non-empty list of non-blank strings"),
])
def test_a_format_that_breaks_its_contract_is_named(plugin, record, error, message, examples_importable, cfg,
                                                    monkeypatch):
    monkeypatch.syspath_prepend(str(EXAMPLES.parents[1] / "tests" / "api"))
    with pytest.raises(error) as caught:
        ltdata.layout(record, cfg, format=plugin)
    assert str(caught.value) == message and type(caught.value) is error
