"""Readers on real benchmark files: item counts, ids, kinds and gold answers checked by eye."""
from __future__ import annotations

import csv
import json
import random
import shutil

import pytest

from ltdata.errors import ConfigError, RecordError
from ltrain.eval.readers import load_benchmark


def test_gsm8k_native(eval_data):
    items = load_benchmark("gsm8k", path=eval_data / "gsm8k_test_items301-306.jsonl")
    assert [i.gold for i in items] == ["78", "8", "15", "1300", "3200", "4"]
    assert {i.kind for i in items} == {"numeric"}
    first = items[0]
    assert first.id == "gsm8k_test_items301-306/0"
    assert first.question.startswith("On Tuesday, Peter wants to exercise for twice the amount")
    assert first.source.endswith("gsm8k_test_items301-306.jsonl:1")


def test_gsm8k_lightthinker_format_matches_native(eval_data):
    native = load_benchmark("gsm8k", path=eval_data / "gsm8k_test_items301-306.jsonl")
    lt = load_benchmark("gsm8k", path=eval_data / "lightthinker" / "gsm8k.json")
    assert [i.id for i in lt] == ["math/0", "math/1", "math/2"]
    assert [(i.question, i.gold) for i in lt] == [(i.question, i.gold) for i in native[:3]]


def test_mmlu_hendrycks_csv(eval_data):
    items = load_benchmark("mmlu", path=eval_data / "mmlu_hendrycks_csv")
    assert len(items) == 7
    assert [(i.subset, i.gold) for i in items] == [("formal_logic", "B"), ("formal_logic", "D"),
                                                   ("formal_logic", "B"), ("high_school_mathematics", "D"),
                                                   ("high_school_mathematics", "B"),
                                                   ("high_school_mathematics", "D"), ("high_school_mathematics", "B")]
    truth_table = items[0]
    assert truth_table.question.endswith("P ⊃ Q\nQ · R / ~P · R")          # a quoted multi-line CSV field
    assert truth_table.choices[1] == "Invalid. Counterexample when P, R, and Q are true"
    assert items[3].choices == (r"\frac{5}{x-4}", r"\frac{x-4}{5}", r"\frac{x+4}{5}", r"-\frac{x-4}{5}")


def test_mmlu_lightthinker_format_keeps_gold_text(eval_data):
    """LightThinker shuffled MMLU's choices; its gold must still name the same text as Hendrycks'."""
    lt = load_benchmark("mmlu", path=eval_data / "lightthinker" / "mmlu.json")
    assert [(i.id, i.subset, i.gold) for i in lt] == [("abstract_algebra_test/0", "abstract_algebra", "B"),
                                                      ("abstract_algebra_test/1", "abstract_algebra", "D"),
                                                      ("formal_logic_test/0", "formal_logic", "C")]
    marco_lt = lt[2]
    marco_csv = load_benchmark("mmlu", path=eval_data / "mmlu_hendrycks_csv")[1]
    assert marco_lt.question == marco_csv.question            # the rendered choices were stripped off
    assert not marco_lt.choices_in_question
    gold_text = lambda item: item.choices["ABCD".index(item.gold)]
    assert gold_text(marco_lt) == gold_text(marco_csv) == "Mmsi"


def test_mmlu_qwen_jsonl(eval_data):
    items = load_benchmark("mmlu", path=eval_data / "mmlu_stem_qwen25math_format.jsonl")
    assert [(i.subset, i.gold) for i in items] == [("abstract_algebra", "A"), ("abstract_algebra", "A"),
                                                   ("abstract_algebra", "D"), ("college_chemistry", "B"),
                                                   ("college_chemistry", "A")]
    assert items[3].choices == ("3 lines", "9 lines", "5 lines", "7 lines")


def test_mmlu_hf_parquet_layout_skips_other_splits(eval_data, tmp_path):
    """The HF layout (question/subject/choices/answer index) read with datasets; dev files are skipped."""
    import datasets

    rows = [json.loads(line) for line in (eval_data / "mmlu_stem_qwen25math_format.jsonl").read_text().splitlines()]
    rows = [{"question": r["question"], "subject": r["type"], "choices": r["choices"], "answer": r["answer"]}
            for r in rows]
    (tmp_path / "mmlu" / "all").mkdir(parents=True)
    datasets.Dataset.from_list(rows).to_parquet(str(tmp_path / "mmlu" / "all" / "test-00000-of-00001.parquet"))
    datasets.Dataset.from_list(rows[:2]).to_parquet(str(tmp_path / "mmlu" / "all" / "dev-00000-of-00001.parquet"))
    items = load_benchmark("mmlu", data_dir=tmp_path)
    assert [(i.id, i.subset, i.gold) for i in items] == [
        ("all/test-00000-of-00001/0", "abstract_algebra", "A"), ("all/test-00000-of-00001/1", "abstract_algebra", "A"),
        ("all/test-00000-of-00001/2", "abstract_algebra", "D"), ("all/test-00000-of-00001/3", "college_chemistry", "B"),
        ("all/test-00000-of-00001/4", "college_chemistry", "A")]


def test_bbh_task_files(eval_data):
    items = load_benchmark("bbh", path=eval_data / "bbh")
    assert [(i.id, i.kind, i.gold) for i in items] == [
        ("boolean_expressions/0", "exact", "True"), ("boolean_expressions/1", "exact", "True"),
        ("boolean_expressions/2", "exact", "False"),
        ("logical_deduction_three_objects/0", "choice", "A"), ("logical_deduction_three_objects/1", "choice", "A"),
        ("multistep_arithmetic_two/0", "numeric", "-21"), ("multistep_arithmetic_two/1", "numeric", "-3850"),
        ("word_sorting/0", "exact", "damon europa foliate potpourri"),
        ("word_sorting/1", "exact", "administer aeneid coachman decadent delhi dey gradate grim jacky littleneck "
                                    "phosphorescent pristine shrunk sinh systemwide tasting thrown torpedo verdict")]
    deduction = items[3]
    assert deduction.choices == ("The hummingbird is the leftmost", "The owl is the leftmost",
                                 "The falcon is the leftmost")
    assert deduction.choices_in_question and deduction.question.endswith("(C) The falcon is the leftmost")


def test_bbh_lightthinker_format(eval_data):
    items = load_benchmark("bbh", path=eval_data / "lightthinker" / "bbh.json")
    assert [(i.id, i.kind, i.gold) for i in items] == [
        ("navigate/0", "exact", "No"), ("navigate/1", "exact", "Yes"),
        ("temporal_sequences/0", "choice", "B"), ("temporal_sequences/1", "choice", "C")]
    assert items[2].choices == ("7am to 8am", "4pm to 6pm", "3pm to 4pm", "8am to 3pm")


GPQA_HEADER = ["Record ID", "Question", "Correct Answer", "Incorrect Answer 1", "Incorrect Answer 2",
               "Incorrect Answer 3", "High-level domain"]
# Made-up items in GPQA's public column layout (GPQA's own items must not be published).
GPQA_ROWS = [["recA", "Which gas makes up most of Earth's atmosphere?", "Nitrogen", "Oxygen", "Argon",
              "Carbon dioxide", "Chemistry"],
             ["recB", "How many chambers does a human heart have?", "4", "2", "3", "6", "Biology"],
             ["recC", "What is the SI unit of force?", "Newton", "Joule", "Watt", "Pascal", "Physics"]]


def write_gpqa(path, rows=GPQA_ROWS, header=GPQA_HEADER):
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([header, *rows])


def test_gpqa_csv_shuffles_with_a_fixed_seed(tmp_path):
    write_gpqa(tmp_path / "gpqa_diamond.csv")
    items = load_benchmark("gpqa", path=tmp_path / "gpqa_diamond.csv")
    assert [(i.id, i.subset) for i in items] == [("recA", "Chemistry"), ("recB", "Biology"), ("recC", "Physics")]
    for item, row in zip(items, GPQA_ROWS):
        assert sorted(item.choices) == sorted(row[2:6])
        assert item.choices["ABCD".index(item.gold)] == row[2]
    # The documented scheme, spelled out: options [correct, wrong 1..3] permuted by Random(f"0:{id}").
    order = list(range(4))
    random.Random("0:recB").shuffle(order)
    assert items[1].choices == tuple(GPQA_ROWS[1][2 + k] for k in order)
    assert [i.gold for i in items] == [i.gold for i in load_benchmark("gpqa", path=tmp_path / "gpqa_diamond.csv")]
    assert len({i.gold for i in load_benchmark("gpqa", path=_many(tmp_path))}) > 1   # not always "A"


def _many(tmp_path):
    rows = [[f"id{k}", f"Question {k}?", "right", "w1", "w2", "w3", "Physics"] for k in range(12)]
    write_gpqa(tmp_path / "many.csv", rows)
    return tmp_path / "many.csv"


def test_data_dir_layout(eval_data, tmp_path):
    shutil.copy(eval_data / "gsm8k_test_items301-306.jsonl", tmp_path / "gsm8k.jsonl")
    shutil.copytree(eval_data / "bbh", tmp_path / "bbh")
    (tmp_path / "bbh" / "train.json").write_text("[]")        # another split: skipped
    assert len(load_benchmark("gsm8k", data_dir=tmp_path)) == 6
    assert len(load_benchmark("bbh", data_dir=tmp_path, limit=4)) == 4
    with pytest.raises(ConfigError, match=r"dataset 'mmlu' not found: expected .*/mmlu/"):
        load_benchmark("mmlu", data_dir=tmp_path)
    with pytest.raises(ConfigError, match="unknown dataset 'math'"):
        load_benchmark("math", data_dir=tmp_path)


def test_bad_records_name_the_place(tmp_path):
    bad = tmp_path / "gsm8k.jsonl"
    bad.write_text('{"question": "q1", "answer": "so\\n#### 4"}\n{"question": "q2", "answer": "no final line"}\n')
    with pytest.raises(RecordError, match=r"gsm8k.jsonl:2: field 'answer' has no final '#### N' line"):
        load_benchmark("gsm8k", path=bad)
    write_gpqa(tmp_path / "gpqa.csv", [["r1", "Q?", "a", "b", "", "d", "Physics"]])
    with pytest.raises(RecordError, match=r"gpqa.csv:2: field 'Incorrect Answer 2' must be a non-empty string"):
        load_benchmark("gpqa", path=tmp_path / "gpqa.csv")
