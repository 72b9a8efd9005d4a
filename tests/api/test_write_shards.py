"""`ltdata.write_shards`: a build's rows written back give its bytes; every broken rule is named."""
from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
from transformers import AutoTokenizer

import ltdata

from api_helpers import example_from_row, manifest, read_table, shard_bytes

SIX_SEVENS = ltdata.Trace(prompt="What is 6 * 7?", reasoning="6 * 7 = 6 * 5 + 6 * 2.\n\n30 + 12 = 42.\n\n",
                          answer="The answer is \\boxed{42}.", record_id="six-sevens")
BY_INPUT = {"fingerprint", "inputs", "config"}


@pytest.fixture(scope="module")
def rows(file_build) -> list[dict]:
    return read_table(file_build).to_pylist()


def test_a_builds_rows_written_back_give_its_shards_and_manifest(file_build, rows, cfg, byte_tokenizer_path, tmp_path):
    tokenizer = AutoTokenizer.from_pretrained(byte_tokenizer_path)      # an object: a copy gets the tokens
    result = ltdata.write_shards(map(example_from_row, rows), tmp_path / "out", cfg, tokenizer=tokenizer)
    assert shard_bytes(result.output) == shard_bytes(file_build) and len(shard_bytes(file_build)) == 3
    built, written = manifest(file_build), manifest(result.output)
    assert {k: v for k, v in written.items() if k not in BY_INPUT} == {k: v for k, v in built.items() if k not in BY_INPUT}
    assert written["inputs"] == [{"path": "<examples>", "format": "examples"}]
    assert {k: v for k, v in written["config"].items() if k != "input"} == {
        k: v for k, v in built["config"].items() if k != "input"}
    assert "<|splitter|>" not in tokenizer.get_vocab() and not (result.output / ".plan.json").exists()


def test_explicit_special_token_ids_are_checked_and_recorded(file_build, rows, cfg, tmp_path):
    ids = manifest(file_build)["special_tokens"]
    saved = str(file_build / "tokenizer")          # already holds ltdata's tokens: nothing is added
    result = ltdata.write_shards([example_from_row(r) for r in rows], tmp_path / "ids", cfg, tokenizer=saved,
                                 special_tokens=ids)
    assert shard_bytes(result.output) == shard_bytes(file_build)
    assert result.manifest["special_tokens"] == ids and result.manifest["tokenizer"]["added_tokens"] == []
    with pytest.raises(ltdata.ConfigError, match=r"special_tokens: ids must be token ids of the tokenizer \(0\.\.\d+\) "
                                                 r"and cache must not be empty; got splitter=10000000"):
        ltdata.write_shards([], tmp_path / "bad", cfg, tokenizer=saved, special_tokens={**ids, "splitter": 10**7})


def _first(example: ltdata.Example, role: int) -> int:
    return int(np.flatnonzero(example.role == role)[0])


def _broken(change):
    def make(example: ltdata.Example) -> ltdata.Example:
        example = replace(example, **{name: np.array(getattr(example, name)) for name in
                                      ("input_ids", "labels", "role", "thought_index", "attend_from", "visible_until")})
        return change(example) or example
    return make


CASES = {
    "labels": (_broken(lambda e: e.labels.__setitem__(0, e.input_ids[0])),
               lambda e: f"column 'labels' must equal input_ids on trained tokens (thought, splitter, answer, eos) "
                         f"and -100 elsewhere; token 0 has {e.input_ids[0]}"),
    "length": (_broken(lambda e: replace(e, labels=e.labels[:-1])),
               lambda e: f"column 'labels' has {len(e) - 1} values but input_ids has {len(e)}"),
    "dtype": (_broken(lambda e: replace(e, position_ids=e.position_ids.astype(float))),
              lambda e: "column 'position_ids' must hold integers, got dtype float64"),
    "order": (_broken(lambda e: e.role.__setitem__(_first(e, 3), 4)),
              lambda e: f"column 'role' token {_first(e, 3)} is cache, but after thought comes splitter in "
                        "lightthinker mode"),
    "eos": (_broken(lambda e: replace(e, **{c: getattr(e, c)[:-1] for c in
                                            ("input_ids", "labels", "position_ids", "attend_from", "visible_until",
                                             "role", "thought_index")})),
            lambda e: "column 'role' ends after answer; a sample ends with eos"),
    "cache id": (_broken(lambda e: e.input_ids.__setitem__(_first(e, 4), e.input_ids[_first(e, 4) + 1])),
                 lambda e: f"column 'input_ids' must hold the manifest's special id at each splitter, cache, continue "
                           f"and eos token; token {_first(e, 4)} has {e.input_ids[_first(e, 4) + 1]}"),
    "thought index": (_broken(lambda e: e.thought_index.__setitem__(_first(e, 3), 1)),
                      lambda e: f"column 'thought_index' must number the thought blocks 0, 1, ... (a block's "
                                f"splitter, cache and continue tokens carry its number); token {_first(e, 3)} has 1"),
    "outside": (_broken(lambda e: e.thought_index.__setitem__(0, 0)),
                lambda e: "column 'thought_index' must be -1 outside thought blocks; token 0 has 0"),
    "attend_from": (_broken(lambda e: e.attend_from.__setitem__(3, 4)),
                    lambda e: "column 'attend_from' must lie in 0..i (a query never attends ahead); token 3 has 4"),
    "visible_until": (_broken(lambda e: e.visible_until.__setitem__(5, 5)),
                      lambda e: f"column 'visible_until' must lie in j+1..{len(e)} (a key is visible to itself); "
                                "token 5 has 5"),
    "vocabulary": (_broken(lambda e: e.input_ids.__setitem__(1, 10**6)),
                   lambda e: "column 'input_ids' token 1 is 1000000, outside the tokenizer's vocabulary (0..615)"),
    "record id": (_broken(lambda e: replace(e, record_id=None)),
                  lambda e: "column 'record_id' must be a str, got NoneType"),
}


@pytest.mark.parametrize("case", CASES)
def test_an_invalid_example_is_a_schema_error_naming_it_and_the_column(case, cfg, tmp_path):
    good = ltdata.layout(SIX_SEVENS, cfg)
    make, message = CASES[case]
    with pytest.raises(ltdata.SchemaError) as caught:
        ltdata.write_shards([good, make(good)], tmp_path / "out", cfg)
    named = "example 1" if case == "record id" else "example 1 (record_id='six-sevens')"
    assert str(caught.value) == f"{named}: {message(good)}"
    assert isinstance(caught.value, ltdata.ExampleError) and not (tmp_path / "out" / "manifest.json").exists()


def test_skipped_examples_go_to_rejects_and_keep_the_shard_boundaries(cfg, tmp_path):
    good = ltdata.layout(SIX_SEVENS, cfg)
    bad = CASES["labels"][0](good)
    result = ltdata.write_shards([good, bad, good, "not an example"], tmp_path / "out", cfg, on_error="skip")
    assert [s["rows"] for s in result.manifest["shards"]] == [1, 1]          # inputs 0-1 and 2-3, as a build slices
    counts = result.manifest["counts"]
    assert (counts["records_read"], counts["records_written"], counts["rejected"]) == (
        4, 2, {"bad_labels": 1, "wrong_type": 1})
    rejects = [json.loads(line) for line in (tmp_path / "out" / "rejects.jsonl").read_text().splitlines()]
    assert [(r["index"], r["record_id"], r["field"], r["reason"]) for r in rejects] == [
        (1, "six-sevens", "labels", "bad_labels"), (3, None, None, "wrong_type")]
    assert rejects[1]["error"] == "example 3: is a str, not an ltdata.Example"


def test_write_shards_refuses_what_build_refuses(cfg, tmp_path):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "notes.txt").write_text("mine")
    with pytest.raises(ltdata.ConfigError, match="is not empty; use --resume"):
        ltdata.write_shards([], tmp_path / "full", cfg)
    with pytest.raises(ltdata.ConfigError, match="write_shards writes from an iterable and cannot resume"):
        ltdata.write_shards([], tmp_path / "new", cfg, resume=True)
