"""Crash safety of the two append-only files: manual verdicts and per-sample outputs."""
from __future__ import annotations

import json

import pytest

from ltdata.errors import RecordError
from ltrain.eval.adjudication import Adjudications
from ltrain.eval.jsonl import read_jsonl
from ltrain.eval.samples import SampleFile


def test_verdicts_persist_and_later_lines_win(tmp_path):
    path = tmp_path / "adj.jsonl"
    adj = Adjudications(path)
    adj.record("gsm8k", "math/0", "seventy-eight", "correct", gold="78")
    adj.record("gsm8k", "math/1", "eight", "wrong")
    adj.record("gsm8k", "math/1", "eight", "correct")
    again = Adjudications(path)
    assert len(again) == 2
    assert again.get("gsm8k", "math/0", "seventy-eight") == "correct"
    assert again.get("gsm8k", "math/1", "eight") == "correct"
    assert again.get("gsm8k", "math/0", "78") is None
    assert again.get("mmlu", "math/0", "seventy-eight") is None
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [(r["id"], r["verdict"], r["gold"]) for r in lines] == [("math/0", "correct", "78"),
                                                                   ("math/1", "wrong", None),
                                                                   ("math/1", "correct", None)]


def test_torn_verdict_line_is_dropped_then_overwritten(tmp_path):
    path = tmp_path / "adj.jsonl"
    Adjudications(path).record("bbh", "navigate/0", "nope", "wrong")
    with open(path, "a") as fh:
        fh.write('{"dataset": "bbh", "id": "navigate/1", "ans')           # killed mid-write
    adj = Adjudications(path)
    assert len(adj) == 1
    adj.record("bbh", "navigate/1", "yes sir", "correct")
    records, intact = read_jsonl(path)
    assert [r["id"] for r in records] == ["navigate/0", "navigate/1"] and intact == path.stat().st_size


def test_hand_edited_file_without_final_newline_keeps_its_last_verdict(tmp_path):
    path = tmp_path / "adj.jsonl"
    path.write_text('{"dataset": "gsm8k", "id": "a/0", "answer": "x", "verdict": "correct"}')
    adj = Adjudications(path)
    assert adj.get("gsm8k", "a/0", "x") == "correct"
    adj.record("gsm8k", "a/1", "y", "wrong")
    assert len(Adjudications(path)) == 2


def test_bad_verdict_names_file_and_field(tmp_path):
    path = tmp_path / "adj.jsonl"
    path.write_text('{"dataset": "gsm8k", "id": "a/0", "answer": "x", "verdict": "maybe"}\n')
    with pytest.raises(RecordError, match=r"adj.jsonl\[0\]: field 'verdict' must be one of"):
        Adjudications(path)
    path.write_text('{"dataset": "gsm8k"}\nnot json\n{}\n')
    with pytest.raises(RecordError, match=r"adj.jsonl:2: is not valid JSON"):
        Adjudications(path)


def test_sample_file_resumes_after_a_torn_line(tmp_path):
    path = tmp_path / "samples" / "gsm8k.jsonl"
    with SampleFile(path) as samples:
        samples.append({"id": "a/0", "output": "x"})
        samples.append({"id": "a/1", "output": "y"})
    with open(path, "a") as fh:
        fh.write('{"id": "a/2", "outp')
    with SampleFile(path) as samples:
        assert sorted(samples.done) == ["a/0", "a/1"]
        samples.append({"id": "a/2", "output": "z"})
    assert [json.loads(line)["id"] for line in path.read_text().splitlines()] == ["a/0", "a/1", "a/2"]
