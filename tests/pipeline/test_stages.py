"""The shared record-path values: frozen options as cache keys, one rejects counter, part-file round trips."""
from __future__ import annotations

import pickle

import pytest

from ltdata.errors import Origin, RecordError
from ltdata.pipeline.stages import Options, Rejects, SplitterChoice, TaskResult


def test_options_are_hashable_values_that_round_trip():
    raw = {"b": [1, {"x": [2, 3]}], "a": "s", "c": None}
    frozen = Options.of(raw)
    assert frozen.to_dict() == raw
    assert frozen == Options.of(dict(reversed(list(raw.items()))))           # key order does not matter
    assert hash(frozen) == hash(Options.of({"a": "s", "c": None, "b": [1, {"x": [2, 3]}]}))
    assert frozen != Options.of({**raw, "c": 0})
    assert pickle.loads(pickle.dumps(frozen)) == frozen


def test_splitter_choice_makes_the_named_splitter():
    choice = SplitterChoice(name="thought", options=Options.of({"min_chars": 1}))
    assert {choice: 1}[SplitterChoice(name="thought", options=Options.of({"min_chars": 1}))] == 1
    text = "one.\n\ntwo.\n\n"
    assert choice.make().split(text) == [(0, 6), (6, 12)]


def _error(reason: str, line: int) -> RecordError:
    return RecordError("is bad", origin=Origin(file="t.jsonl", line=line, index=line - 1), record_id=f"r{line}",
                       field="prompt", reason=reason)


def test_rejects_raise_or_count_and_keep_every_line():
    with pytest.raises(RecordError, match=r"t.jsonl:3 \(id='r3'\): field 'prompt' is bad"):
        Rejects(on_error="raise").add(_error("bad", 3))
    first, second = Rejects(on_error="skip"), Rejects(on_error="skip")
    first.add(_error("bad", 1))
    first.add(_error("empty", 2))
    second.add(_error("bad", 5))
    assert first.counts == {"bad": 1, "empty": 1}
    assert [line["line"] for line in first.lines] == [1, 2]
    assert Rejects.total([second, first]) == {"bad": 2, "empty": 1}
    assert list(Rejects.total([second, first])) == ["bad", "empty"]


def test_task_result_survives_its_part_file():
    result = TaskResult(index=3, shard="shard-00003.arrow", rows=2, tokens=40, read=3, truncated=1,
                        rejects=Rejects(on_error="skip"))
    result.rejects.add(_error("bad", 7))
    back = TaskResult.from_json(pickle.loads(pickle.dumps(result.to_json())))
    assert back.to_json() == result.to_json()
    assert back.to_json()["rejected"] == {"bad": 1} and back.rejects.lines[0]["record_id"] == "r7"
