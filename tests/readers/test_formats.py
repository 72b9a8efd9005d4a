"""Format tests: exact, lossless splits of real traces; located errors; detection; plugins."""
from __future__ import annotations

import copy
import json
import pickle
import re
from pathlib import Path

import pytest

from ltdata.errors import ConfigError, Origin, PluginError, RecordError
from ltdata import plugins
from ltdata.readers.base import Format
from ltdata.readers.formats import BUILTIN_FORMATS, available_formats, detect_format, resolve_format
from ltdata.readers.sources import expand_inputs, plan_slices, read_slice

AT = Origin(file="data/traces.jsonl", index=1, line=2)
WHERE = "data/traces.jsonl:2 (id='traces-00001')"     # how errors locate a record at AT without an id
SAMPLE = Path(__file__).resolve().parents[2] / "ltdata" / "sample_data"
BEGIN = "<|begin_of_thought|>\n\n"
UNCLOSED = "(truncated generation?)"


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def at(index: int) -> Origin:
    return Origin(file="data/traces.jsonl", index=index, line=index + 1)


def error_of(fmt, record, origin=AT) -> RecordError:
    with pytest.raises(RecordError) as info:
        fmt.to_trace(record, origin)
    return info.value


def detect_error(record, fields=None) -> RecordError:
    with pytest.raises(RecordError) as info:
        detect_format(record, AT, fields=fields)
    return info.value


def bespoke_from_sky_t1(row: dict, record_id: str) -> dict:
    """The sample-data conversion (scripts/make_sample_data.py), applied to one eval record."""
    return {"id": record_id, "system": "You are a careful mathematician.", "conversations": [
        {"from": "user", "value": "Return your final response within \\boxed{}. " + row["question"]},
        {"from": "assistant", "value": row["code"][0]}]}


# --- bespoke ---------------------------------------------------------------------------------

def test_bespoke_exact_split_of_a_real_trace(bespoke_records):
    record = bespoke_records[0]
    text = record["conversations"][1]["value"]
    trace = resolve_format("bespoke").to_trace(record, AT)
    assert trace.output == text
    assert trace.preamble == BEGIN
    assert trace.reasoning.startswith("So I've got this problem here with two positive real numbers")
    assert trace.reasoning.endswith("\n\nThe only positive solution is x = 27 and y = 9, so x + y = 36.\n\n")
    assert trace.answer.startswith("<|end_of_thought|>\n\n<|begin_of_solution|>\n\nTo solve for the ")
    assert trace.answer.endswith("\\boxed{36}\n\\] \n<|end_of_solution|>")
    assert len(trace.preamble) + len(trace.reasoning) == text.index("<|end_of_thought|>")
    assert trace.prompt == record["conversations"][0]["value"]
    assert trace.prompt.startswith("Return your final response within \\boxed{}. Positive real numbers $x$")
    assert trace.system.startswith("Your role as an assistant involves thoroughly exploring questions")
    assert (trace.record_id, trace.origin, trace.thoughts) == ("bs-00001", AT, None)


def test_bespoke_every_fixture_record_is_lossless(bespoke_records):
    fmt = resolve_format("bespoke")
    for record in bespoke_records:
        trace = fmt.to_trace(record, AT)
        assert trace.output == record["conversations"][1]["value"]
        assert trace.preamble == BEGIN
        assert trace.reasoning.endswith("\n\n") and trace.answer.startswith("<|end_of_thought|>")


def test_bespoke_unclosed_real_trace(sky_t1_records):
    record = bespoke_from_sky_t1(sky_t1_records[1], "bs-unclosed")
    assert "<|end_of_thought|>" not in record["conversations"][1]["value"]
    error = error_of(resolve_format("bespoke"), record)
    assert (error.reason, error.field, error.record_id) == (
        "unclosed_reasoning", "conversations[1].value", "bs-unclosed")
    assert str(error) == (
        "data/traces.jsonl:2 (id='bs-unclosed'): field 'conversations[1].value' opens "
        f"'<|begin_of_thought|>' but never closes it with '<|end_of_thought|>' {UNCLOSED}")


def test_bespoke_missing_begin_marker_and_truncated_solution(bespoke_records):
    fmt = resolve_format("bespoke")
    record = copy.deepcopy(bespoke_records[0])
    turn = record["conversations"][1]
    turn["value"] = turn["value"].removeprefix(BEGIN)
    error = error_of(fmt, record)
    assert (error.reason, str(error)) == ("invalid_record", (
        "data/traces.jsonl:2 (id='bs-00001'): field 'conversations[1].value' does not contain the "
        "opening marker '<|begin_of_thought|>'"))
    turn["value"] = bespoke_records[0]["conversations"][1]["value"].removesuffix("<|end_of_solution|>")
    error = error_of(fmt, record)
    assert (error.reason, error.field) == ("invalid_record", "conversations[1].value")
    assert str(error).endswith(
        f"opens '<|begin_of_solution|>' but never closes it with '<|end_of_solution|>' {UNCLOSED}")


@pytest.mark.parametrize("mutate, message, reason", [
    (lambda r: r.update(conversations="hi"), "field 'conversations' must be a list, got str", "wrong_type"),
    (lambda r: r.pop("conversations"), "field 'conversations' is missing", "missing_field"),
    (lambda r: r["conversations"].pop(), "field 'conversations' has no assistant turn", "missing_field"),
    (lambda r: r["conversations"][0].update(value=" \n"), "field 'conversations[0].value' is empty",
     "missing_field"),
    (lambda r: r["conversations"][1].update(value=7), "field 'conversations[1].value' must be a str, got int",
     "wrong_type"),
    (lambda r: r["conversations"][1].pop("from"), "field 'conversations[1].from' is missing",
     "missing_field"),
    (lambda r: r["conversations"][0].update({"from": "tool"}),
     "field 'conversations[0].from' is 'tool', expected one of system, human, user, gpt, assistant",
     "invalid_record"),
    (lambda r: r["conversations"].insert(0, "x"), "field 'conversations[0]' must be an object, got str",
     "wrong_type"),
    (lambda r: r["conversations"].append({"from": "user", "value": "more?"}),
     "field 'conversations' continues with a user turn after the last assistant turn (conversations[1])",
     "invalid_record"),
    (lambda r: r["conversations"].insert(0, dict(r["conversations"][1])),
     "field 'conversations' has 1 turn(s) before the last user turn; multi-turn conversations are not "
     "supported yet (only [system] user assistant)", "invalid_record"),
    (lambda r: r.update(system=["a"]), "field 'system' must be a str, got list", "wrong_type"),
    (lambda r: r["conversations"][1].update(value=BEGIN + " \n\n<|end_of_thought|>\n\nx"),
     "field 'conversations[1].value' has no reasoning text (empty or whitespace only)", "empty_reasoning"),
])
def test_bespoke_malformed_records_name_the_field(bespoke_records, mutate, message, reason):
    record = copy.deepcopy(bespoke_records[0])
    mutate(record)
    error = error_of(resolve_format("bespoke"), record)
    assert str(error) == f"data/traces.jsonl:2 (id='bs-00001'): {message}"
    assert error.reason == reason


# --- sharegpt / messages (tag pairs) ---------------------------------------------------------

def test_sharegpt_tags_and_untagged(marco_records):
    response = marco_records[0]["response"]
    record = {"system": "Be brief.", "conversations": [
        {"from": "human", "value": marco_records[0]["instruction"]}, {"from": "gpt", "value": response}]}
    fmt = resolve_format("sharegpt")
    trace = fmt.to_trace(record, AT)
    close = response.index("</Thought>")
    assert (trace.preamble, trace.reasoning, trace.answer) == (
        "<Thought>\n", response[10:close], response[close:])
    assert trace.answer.startswith("</Thought>\n<Output>\n```python") and trace.system == "Be brief."
    assert trace.record_id == "traces-00001"
    record["conversations"][1]["value"] = untagged = response[10:close]
    trace = fmt.to_trace(record, AT)
    assert (trace.preamble, trace.reasoning, trace.answer) == ("", untagged, "")


def test_sharegpt_system_turn_and_close_only_tag(marco_records):
    body = marco_records[1]["response"].replace("<Thought>\n", "", 1)
    record = {"conversations": [{"from": "system", "value": "Sys."}, {"from": "user", "value": "Q"},
                                {"from": "assistant", "value": body}]}
    trace = resolve_format("sharegpt").to_trace(record, AT)
    assert trace.system == "Sys." and trace.preamble == ""
    assert trace.reasoning == body[:body.index("</Thought>")] and trace.output == body


def test_messages_think_tags_on_sample_data():
    records = read_jsonl(SAMPLE / "r1_messages.jsonl")
    fmt = resolve_format("messages")
    for index, record in enumerate(records):
        content = record["messages"][1]["content"]
        trace = fmt.to_trace(record, at(index))
        assert trace.output == content
        assert trace.preamble == "<think>\n" and trace.reasoning.endswith("\n")
        assert trace.answer.startswith("</think>\n\n") and "<|" not in trace.output
        assert trace.record_id == f"r1-{index + 1:05d}"
        assert trace.prompt == record["messages"][0]["content"]


def test_messages_reasoning_content(bespoke_records):
    text = bespoke_records[1]["conversations"][1]["value"]
    thinking = text[len(BEGIN):text.index("<|end_of_thought|>")]
    solution = text[text.index("<|begin_of_solution|>"):]
    record = {"messages": [{"role": "system", "content": "S"}, {"role": "user", "content": "Q"},
                           {"role": "assistant", "content": solution, "reasoning_content": thinking}]}
    fmt = resolve_format("messages")
    trace = fmt.to_trace(record, AT)
    assert (trace.system, trace.preamble, trace.reasoning, trace.answer) == ("S", "", thinking, solution)
    record["messages"][2]["reasoning_content"] = ""
    error = error_of(fmt, record)
    assert (error.reason, error.field) == ("empty_reasoning", "messages[2].reasoning_content")
    record["messages"][2]["reasoning_content"] = None          # Parquet fills absent keys with null
    assert fmt.to_trace(record, AT).answer == ""


def test_unclosed_think_tag():
    record = {"messages": [{"role": "user", "content": "Q"},
                           {"role": "assistant", "content": "<think>\nhmm"}]}
    error = error_of(resolve_format("messages"), record)
    assert str(error) == (f"{WHERE}: field 'messages[1].content' opens '<think>' but never closes it "
                          f"with '</think>' {UNCLOSED}")
    assert error.reason == "unclosed_reasoning"


# --- plain / openthoughts / thoughts ---------------------------------------------------------

def test_plain_marco_response(marco_records):
    for index, record in enumerate(marco_records):
        trace = resolve_format("plain").to_trace(record, at(index))
        assert trace.output == record["response"] and trace.prompt == record["instruction"]
        assert trace.preamble == "<Thought>\n" and trace.answer.startswith("</Thought>\n<Output>\n")


def test_plain_sky_t1_with_field_mapping(sky_t1_records):
    fmt = resolve_format("plain", fields={"prompt": "question", "response": "code.0", "id": "idx"})
    closed = fmt.to_trace(sky_t1_records[0], at(0))
    assert closed.output == sky_t1_records[0]["code"][0] and closed.prompt == sky_t1_records[0]["question"]
    assert closed.preamble == BEGIN and closed.answer.startswith("<|end_of_thought|>")
    assert closed.record_id == str(sky_t1_records[0]["idx"])
    error = error_of(fmt, sky_t1_records[1], at(1))
    assert (error.reason, error.field, error.origin.line) == ("unclosed_reasoning", "code[0]", 2)
    assert str(error) == (f"data/traces.jsonl:2 (id='{sky_t1_records[1]['idx']}'): field 'code[0]' opens "
                          f"'<|begin_of_thought|>' but never closes it with '<|end_of_thought|>' {UNCLOSED}")
    missing = {k: v for k, v in sky_t1_records[2].items() if k != "code"}
    error = error_of(fmt, missing, at(2))
    assert (error.reason, str(error)) == (
        "missing_field", f"data/traces.jsonl:3 (id='{missing['idx']}'): field 'code[0]' is missing")


def test_plain_reasoning_answer_and_gold_answer_ignored(bespoke_records):
    thinking = bespoke_records[0]["conversations"][1]["value"][len(BEGIN):3000]
    record = {"question": "Q?", "reasoning": thinking, "answer": "36", "system": "S"}
    trace = resolve_format("plain").to_trace(record, AT)
    assert (trace.prompt, trace.reasoning, trace.answer, trace.preamble, trace.system) == (
        "Q?", thinking, "", "", "S")
    record["final_answer"] = "x + y = 36"
    assert resolve_format("plain").to_trace(record, AT).answer == "x + y = 36"
    nested = {"meta": {"question": "Q?"}, "thinking": thinking}
    assert resolve_format("plain", fields={"prompt": "meta.question"}).to_trace(nested, AT).prompt == "Q?"


@pytest.mark.parametrize("record, message, reason", [
    ({"reasoning": "r"}, "field 'prompt' is missing: the record has none of prompt, question, problem, "
     "instruction (map one with --field prompt=PATH)", "missing_field"),
    ({"prompt": "p", "answer": "a"}, "field 'reasoning' is missing: the record has none of reasoning, "
     "thinking, response, completion, generation, output (map one with --field reasoning=PATH or "
     "--field response=PATH)", "missing_field"),
    ({"prompt": "", "reasoning": "r"}, "field 'prompt' is empty", "missing_field"),
    ({"prompt": "p", "reasoning": " \n\n "},
     "field 'reasoning' has no reasoning text (empty or whitespace only)", "empty_reasoning"),
    ({"prompt": "p", "response": ["r"]}, "field 'response' must be a str, got list", "wrong_type"),
])
def test_plain_errors(record, message, reason):
    error = error_of(resolve_format("plain"), record)
    assert (str(error), error.reason) == (f"{WHERE}: {message}", reason)


def test_openthoughts_metadata(sky_t1_records):
    code = sky_t1_records[0]["code"][0]
    thinking = code[len(BEGIN):code.index("<|end_of_thought|>")]
    solution = code[code.index("<|begin_of_solution|>") + 23:code.index("<|end_of_solution|>")]
    record = {"problem": sky_t1_records[0]["question"], "deepseek_reasoning": thinking,
              "deepseek_solution": solution, "ground_truth_solution": "gold", "domain": "math"}
    fmt = detect_format(record, AT)
    assert fmt.name == "openthoughts"
    trace = fmt.to_trace(record, AT)
    assert (trace.prompt, trace.reasoning, trace.answer, trace.preamble) == (
        record["problem"], thinking, solution, "")


def test_thoughts_list_used_as_given(bespoke_records):
    text = bespoke_records[2]["conversations"][1]["value"]
    thoughts = [t for t in re.split(r"(?<=\n\n)", text[len(BEGIN):text.index("<|end_of_thought|>")]) if t]
    record = {"question": "Q", "system_prompt": "S", "thoughts_list": thoughts, "gt_output": text}
    fmt = detect_format(record, AT)
    trace = fmt.to_trace(record, AT)
    assert fmt.name == "thoughts" and trace.thoughts == thoughts and len(thoughts) > 20
    assert (trace.reasoning, trace.answer, trace.system) == ("".join(thoughts), "", "S")
    error = error_of(fmt, dict(record, thoughts_list=[*thoughts[:3], 4, *thoughts[3:]]))
    assert (str(error), error.reason) == (f"{WHERE}: field 'thoughts_list[3]' must be a str, got int",
                                          "wrong_type")
    error = error_of(fmt, dict(record, thoughts_list=[]))
    assert (error.reason, error.field) == ("empty_reasoning", "thoughts_list")
    error = error_of(fmt, dict(record, thoughts_list=["a\n\n", "", "b"]))
    assert (error.reason, error.field) == ("empty_reasoning", "thoughts_list[1]")


# --- ids, fields, detection ------------------------------------------------------------------

def test_record_ids():
    fmt = resolve_format("plain")
    base = {"prompt": "p", "reasoning": "r"}
    origin = Origin(file="/data/run 1/part.jsonl", index=1234, line=9)
    assert fmt.to_trace(dict(base, id=17), origin).record_id == "17"
    assert fmt.to_trace(dict(base, id="x-1"), origin).record_id == "x-1"
    assert fmt.to_trace(dict(base, id={"no": 1}), origin).record_id == "part-01234"
    assert fmt.to_trace(base, origin).record_id == "part-01234"
    mapped = resolve_format("plain", fields={"id": "meta.uuid"})
    assert mapped.to_trace(dict(base, meta={"uuid": "u-9"}), origin).record_id == "u-9"
    error = error_of(mapped, base, origin)
    assert (str(error), error.reason) == (
        "/data/run 1/part.jsonl:9: field 'meta.uuid' (mapped by --field id) is missing", "missing_field")


def test_field_mapping_is_validated():
    with pytest.raises(ConfigError) as info:
        resolve_format("plain", fields={"question": "q", "prompt": ""})
    assert info.value.problems == [
        "--field question=...: unknown field name 'question'; choose from id, system, prompt, reasoning, "
        "answer, response, thoughts", "--field prompt: the source path must be a non-empty string, got ''"]
    with pytest.raises(ConfigError, match="format 'bespoke' does not use 'prompt'; it uses id, system"):
        resolve_format("bespoke", fields={"prompt": "question"})
    with pytest.raises(ConfigError, match="--field reasoning and --field response are alternatives"):
        resolve_format("plain", fields={"reasoning": "a", "response": "b"})


def assistant_text(record: dict) -> str:
    if "response" in record:
        return record["response"]
    turn = (record.get("conversations") or record["messages"])[-1]
    return turn.get("value", turn.get("content"))


@pytest.mark.parametrize("name, expected", [
    ("bespoke_sky-t1.jsonl", "bespoke"), ("r1_messages.jsonl", "messages"), ("marco-o1_cot.json", "plain")])
def test_sample_files_auto_detect_and_convert_losslessly(name, expected):
    path = str(SAMPLE / name)
    raws = [raw for piece in plan_slices([path], 16) for raw in read_slice(piece)]
    assert raws and all(raw.error is None for raw in raws)
    fmt = detect_format(raws[0].value, raws[0].origin)
    assert fmt.name == expected
    for raw in raws:
        trace = fmt.to_trace(raw.value, raw.origin)
        assert trace.output == assistant_text(raw.value)
        assert trace.reasoning.strip() and trace.origin == raw.origin


def test_sample_data_is_small_and_bespoke_ids():
    assert sum(p.stat().st_size for p in SAMPLE.iterdir()) < 2 * 1024 * 1024
    assert [p for p, _ in expand_inputs([str(SAMPLE)])] == [
        str(SAMPLE / n) for n in ("bespoke_sky-t1.jsonl", "marco-o1_cot.json", "r1_messages.jsonl")]
    ids = [r["id"] for r in read_jsonl(SAMPLE / "bespoke_sky-t1.jsonl")]
    assert ids == [f"bs-{n:05d}" for n in range(1, 41)]


def test_detection_with_fields_and_unknown(sky_t1_records):
    fields = {"prompt": "question", "response": "code.0"}
    assert detect_format(sky_t1_records[0], AT, fields=fields).name == "plain"
    error = detect_error(sky_t1_records[0])
    assert error.reason == "unknown_format"
    assert str(error) == (
        f"{WHERE}: does not look like any built-in format ({', '.join(BUILTIN_FORMATS)}); its top-level "
        "keys are: code, gt, gt_cot, idx, pred, question, report, score, solution, type. "
        "Name the format with --format or map keys with --field")


def test_detection_order(bespoke_records, data_dir):
    sharegpt = {"conversations": [{"from": "human", "value": "Q"},
                                  {"from": "gpt", "value": "<think>a</think>b"}]}
    assert detect_format(bespoke_records[0], AT).name == "bespoke"
    assert detect_format(sharegpt, AT).name == "sharegpt"
    tools = json.loads((data_dir / "skythought_tools.json").read_text(encoding="utf-8"))
    assert detect_error(next(iter(tools.values()))).reason == "unknown_format"
    assert BUILTIN_FORMATS == ("bespoke", "sharegpt", "messages", "openthoughts", "thoughts", "plain")


def test_formats_never_raise_bare_errors():
    junk = [{}, {"conversations": None}, {"conversations": [None]}, {"conversations": [{"from": "gpt"}]},
            {"conversations": [{"from": ["gpt"], "value": "x"}]},
            {"messages": [{"role": "user", "content": None}, {"role": "assistant", "content": "x"}]},
            {"messages": [{"role": 3, "content": "x"}]}, {"thoughts_list": "abc", "question": "q"},
            {"prompt": {"a": 1}, "reasoning": "r"}, {"problem": "p", "deepseek_reasoning": 5},
            {"question": "q", "thoughts_list": [None]}, {"id": True, "prompt": "p", "response": "</think>"}]
    for name in BUILTIN_FORMATS:
        fmt = resolve_format(name)
        for record in junk:
            assert isinstance(fmt.detect(record), bool)
            try:
                fmt.to_trace(record, AT)
            except RecordError as error:
                assert error.origin == AT and error.reason in {
                    "missing_field", "wrong_type", "empty_reasoning", "unclosed_reasoning", "invalid_record"}


def test_formats_pickle_for_workers():
    for name in BUILTIN_FORMATS:
        fmt = resolve_format(name, fields={"id": "uid"})
        assert pickle.loads(pickle.dumps(fmt)) == fmt and isinstance(fmt, Format)


# --- plugins ---------------------------------------------------------------------------------

@pytest.fixture
def plugin_path(monkeypatch):
    monkeypatch.syspath_prepend(str(Path(__file__).parent))


def test_plugin_by_import_path(plugin_path):
    fmt = resolve_format("ltdata_test_plugin:QAFormat", fields={"prompt": "question"})
    assert fmt.name == "qa" and fmt.fields == {"prompt": "question"}
    assert fmt.to_trace({"question": "Q", "a": "A"}, AT).reasoning == "A"
    assert resolve_format("ltdata_test_plugin:NoFieldsFormat").name == "qa"


@pytest.mark.parametrize("path, message", [
    ("ltdata_no_such_module:X", "format 'ltdata_no_such_module:X': cannot import module "
     "'ltdata_no_such_module': ModuleNotFoundError: No module named 'ltdata_no_such_module'"),
    ("ltdata_test_plugin:Missing",
     "format 'ltdata_test_plugin:Missing': module 'ltdata_test_plugin' has no attribute 'Missing'"),
    ("ltdata_test_plugin:",
     "format 'ltdata_test_plugin:': expected an import path of the form 'package.module:Class'"),
    ("ltdata_test_plugin:NotAFormat", "format 'ltdata_test_plugin:NotAFormat' does not implement the "
     "Format protocol (a `name`, `detect(record)` and `to_trace(record, origin)`)"),
    ("ltdata_test_plugin:broken_factory",
     "format 'ltdata_test_plugin:broken_factory': constructing it failed: RuntimeError('boom')"),
])
def test_plugin_failures_are_clear(plugin_path, path, message):
    with pytest.raises(PluginError) as info:
        resolve_format(path)
    assert str(info.value) == message


def test_plugin_without_fields_refuses_field_mappings(plugin_path):
    with pytest.raises(ConfigError, match="format 'ltdata_test_plugin:NoFieldsFormat' does not accept field"):
        resolve_format("ltdata_test_plugin:NoFieldsFormat", fields={"prompt": "q"})


def test_unknown_name_lists_choices_and_entry_points(plugin_path, monkeypatch):
    class FakeEntry:
        def __init__(self, name, value):
            self.name, self.value = name, value

        def load(self):
            module, _, attr = self.value.partition(":")
            return getattr(__import__(module), attr)

    entries = {"qa": FakeEntry("qa", "ltdata_test_plugin:QAFormat"),
               "gone": FakeEntry("gone", "ltdata_test_plugin:Gone")}
    monkeypatch.setattr(plugins, "entry_points",
                        lambda group: list(entries.values()) if group == "ltdata.formats" else [])
    assert resolve_format("qa").name == "qa"
    with pytest.raises(ConfigError) as info:
        resolve_format("bespokee")
    assert str(info.value) == (
        "--format 'bespokee': unknown format; choose from bespoke, sharegpt, messages, openthoughts, "
        "thoughts, plain, gone, qa, or give a 'module:Class' import path")
    listing = available_formats()
    assert list(listing)[:6] == list(BUILTIN_FORMATS)
    assert listing["qa"] == "Question/answer records whose whole `a` is compressed."
    assert listing["gone"].startswith(
        "(cannot be loaded: format 'gone' (entry point 'ltdata_test_plugin:Gone') cannot be loaded")
