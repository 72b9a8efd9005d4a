"""`ltdata.layout` and `ltdata.explain`: one sample without files, exactly as a build lays it out."""
from __future__ import annotations

import numpy as np
import pytest
from transformers import AutoTokenizer

import ltdata
import ltdata.pipeline.tokenizer as tokenizer_module
from ltdata.pipeline.prepared import prepared_for
from ltdata.cli.main import main

from api_helpers import example_from_row, read_table

COLUMNS = ("input_ids", "labels", "position_ids", "attend_from", "visible_until", "role", "thought_index")
P, T, S, O, C, A, E = 1, 2, 3, 4, 5, 6, 7
SIX_SEVENS = ltdata.Trace(prompt="What is 6 * 7?", reasoning="6 * 7 = 6 * 5 + 6 * 2.\n\n30 + 12 = 42.\n\n",
                          answer="The answer is \\boxed{42}.", record_id="six-sevens")


def test_the_example_equals_the_row_a_build_writes(file_build, records, cfg):
    rows = read_table(file_build).to_pylist()
    for record, row in zip(records, rows, strict=True):
        example = ltdata.layout(record, cfg)
        assert {c: getattr(example, c).tolist() for c in COLUMNS} == {c: row[c] for c in COLUMNS}
        assert (example.record_id, len(example), example.num_thoughts, example.truncated) == (
            row["record_id"], row["num_tokens"], row["num_thoughts"], row["truncated"])
        assert example.source == "<memory>[0]"


def test_hand_split_thoughts_are_laid_out_as_given(cfg, byte_tokenizer_path):
    # The thought splitter would cut t1 at its blank line; hand-split thoughts are used as they are.
    t1, t2, answer = "First, 3 * 4 = 12.\n\nThat is the product. ", "Then 2 + 12 = 14.\n\n", "\\boxed{14}"
    example = ltdata.layout(ltdata.Trace(prompt="What is 2 + 3 * 4?", thoughts=[t1, t2], answer=answer), cfg)

    # Independent expectation, from the README's layout rules and a tokenizer set up by hand.
    tok = AutoTokenizer.from_pretrained(byte_tokenizer_path)
    names = ["<|splitter|>", "<|continue|>", "<|recover|>", "<|begin_of_thought|>", "<|end_of_thought|>",
             "<|begin_of_solution|>", "<|end_of_solution|>", *(f"<|o_{i}|>" for i in range(9))]
    tok.add_tokens(names, special_tokens=True)
    ids = tok.convert_tokens_to_ids
    cache = [ids(f"<|o_{i}|>") for i in range(9)]

    def enc(text):
        return tok(text, add_special_tokens=False)["input_ids"]

    prompt, first, second, tail = enc("What is 2 + 3 * 4?\n\n"), enc(t1), enc(t2), enc(answer)   # plain template
    block = [ids("<|splitter|>"), *cache, ids("<|continue|>")]
    expected_ids = prompt + first + block + second + block + tail + [ids("<|endoftext|>")]
    expected_role = ([P] * len(prompt) + [T] * len(first) + [S] + [O] * 9 + [C] + [T] * len(second) + [S] + [O] * 9
                     + [C] + [A] * len(tail) + [E])
    length = len(expected_ids)
    continue_1 = len(prompt) + len(first) + 10
    continue_2 = continue_1 + 1 + len(second) + 10
    until = [length] * length
    until[len(prompt):continue_1 - 9] = [continue_1] * (len(first) + 1)
    until[continue_1 + 1:continue_2 - 9] = [continue_2] * (len(second) + 1)
    trained = {T, S, A, E}

    assert example.input_ids.tolist() == expected_ids
    assert example.role.tolist() == expected_role
    assert example.labels.tolist() == [i if r in trained else -100 for i, r in zip(expected_ids, expected_role)]
    assert example.thought_index.tolist() == ([-1] * len(prompt) + [0] * (len(first) + 11) + [1] * (len(second) + 11)
                                              + [-1] * (len(tail) + 1))
    assert example.visible_until.tolist() == until and example.attend_from.tolist() == [0] * length
    text = tok.decode(example.input_ids[np.isin(example.role, [T, A])].tolist())
    assert text == t1 + t2 + answer          # the lossless check, seen from outside


def test_explain_shows_what_ltdata_inspect_prints(cfg, tmp_path, capsys):
    example = ltdata.layout(SIX_SEVENS, cfg)
    ltdata.build([SIX_SEVENS], tmp_path / "out", cfg)
    capsys.readouterr()
    assert main(["inspect", str(tmp_path / "out"), "--record", "six-sevens", "--no-color"]) == 0
    printed = capsys.readouterr().out
    assert printed == ltdata.explain(example, color=False) + "\n"
    assert ltdata.explain(example, str(tmp_path / "out" / "tokenizer"), color=False) + "\n" == printed
    assert "\x1b[" in ltdata.explain(example) and "⟦S⟧⟦o×9⟧⟦C⟧" in printed


def test_the_tokenizer_loads_once_per_configuration_and_build_shares_it(cfg, monkeypatch, tmp_path):
    loads = []
    real = tokenizer_module.load_tokenizer
    monkeypatch.setattr(tokenizer_module, "load_tokenizer", lambda source: loads.append(source) or real(source))
    prepared_for.cache_clear()
    for trace in (SIX_SEVENS, ltdata.Trace(prompt="Why?", reasoning="Because.\n\n")):
        ltdata.layout(trace, cfg)
        ltdata.layout(trace, cfg)
    ltdata.build([SIX_SEVENS], tmp_path / "out", cfg, shard_size=1, splitter_options={"min_chars": 1})
    ltdata.layout(SIX_SEVENS, cfg, cache_tokens=4)
    assert loads == [cfg.tokenizer, cfg.tokenizer]


@pytest.mark.parametrize("trace, message", [
    (ltdata.Trace(prompt="p", reasoning="ab!", thoughts=["a", "b"]),
     "<memory>[0] (id='memory-00000'): field 'thoughts' do not concatenate to 'reasoning' (they differ at "
     "character 2); give one of them, or thoughts that join to the reasoning exactly"),
    (ltdata.Trace(prompt=None, reasoning="r"), "<memory>[0]: field 'prompt' must be a str, got null"),
    (ltdata.Trace(prompt="p", thoughts=["a", ""], record_id="x"), "<memory>[0] (id='x'): field 'thoughts[1]' is empty"),
    (ltdata.Trace(prompt="p", reasoning=" \n"), "<memory>[0] (id='memory-00000'): field 'reasoning' has no "
                                                "reasoning text (empty or whitespace only)"),
])
def test_bad_traces_are_record_errors_naming_the_field(trace, message, cfg):
    with pytest.raises(ltdata.RecordError) as caught:
        ltdata.layout(trace, cfg)
    assert str(caught.value) == message


def test_layout_and_build_reject_a_record_with_the_same_error(cfg, tmp_path):
    sneaky = ltdata.Trace(prompt="p", reasoning="Cut here <|splitter|> please.\n\n", record_id="sneaky")
    with pytest.raises(ltdata.RecordError) as from_layout:
        ltdata.layout(sneaky, cfg)
    with pytest.raises(ltdata.RecordError) as from_build:
        ltdata.build([sneaky], tmp_path / "out", cfg)
    assert str(from_layout.value) == str(from_build.value)
    assert from_layout.value.reason == "special_token_in_text" and from_layout.value.field == "reasoning"


def test_over_long_samples_and_wrong_arguments_are_refused(cfg, file_build):
    full = len(ltdata.layout(SIX_SEVENS, cfg))
    with pytest.raises(ltdata.RecordError) as caught:
        ltdata.layout(SIX_SEVENS, cfg, max_length=10)
    assert str(caught.value) == (f"<memory>[0] (id='six-sevens'): is {full} tokens, over max_length=10 (a build "
                                 "would drop it; set max_length=None or overlong='truncate')")
    assert caught.value.reason == "overlong"
    with pytest.raises(ltdata.ConfigError, match="layout: expected an ltdata.Trace or a record dict, got int"):
        ltdata.layout(42, cfg)
    with pytest.raises(ltdata.ConfigError, match="explain: this Example was not made by ltdata.layout; pass tokenizer="):
        ltdata.explain(example_from_row(read_table(file_build).slice(0, 1).to_pylist()[0]))


def test_dicts_with_the_fields_of_a_trace_read_as_that_trace(cfg):
    fmt = "ltdata.readers.formats.trace:TraceFormat"
    record = {"prompt": "What is 6 * 7?", "thoughts": ["6 * 7 = 6 * 5 + 6 * 2.\n\n", "30 + 12 = 42.\n\n"],
              "answer": "The answer is \\boxed{42}.", "record_id": "six-sevens"}
    from_dict, from_trace = ltdata.layout(record, cfg, format=fmt), ltdata.layout(SIX_SEVENS, cfg)
    assert {c: getattr(from_dict, c).tolist() for c in COLUMNS} == {c: getattr(from_trace, c).tolist() for c in COLUMNS}
    with pytest.raises(ltdata.RecordError) as caught:
        ltdata.layout({**record, "cot": "?"}, cfg, format=fmt)
    assert str(caught.value) == ("<memory>[0] (id='six-sevens'): field 'cot' has unknown key(s) 'cot'; a trace has "
                                 "prompt, reasoning, answer, system, preamble, thoughts, record_id")


def test_layout_examples_carry_their_tokenizer_for_explain(byte_tokenizer_path):
    import dataclasses

    import ltdata

    cfg = ltdata.BuildConfig(tokenizer=byte_tokenizer_path, max_length=None, progress=False)
    example = ltdata.layout(ltdata.Trace(prompt="q?", reasoning="one.\n\ntwo.\n\n", answer="a"), cfg)
    assert "one." in ltdata.explain(example, color=False)
    assert "tokenizer" not in repr(example)
    with pytest.raises(ltdata.ConfigError, match="not made by ltdata.layout; pass tokenizer="):
        ltdata.explain(dataclasses.replace(example, tokenizer=None))
