"""Judging real benchmark items: each expected verdict is what a careful human grader would say."""
from __future__ import annotations

import pytest

from ltrain.eval.judge import judge


def by_id(items, fmt, item_id):
    return next(i for i in items[fmt] if i.id == item_id)


@pytest.mark.parametrize("item_id, answer, verdict", [
    ("gsm8k_test_items301-306/0", "78", "correct"),                    # gold 78 (#### 78)
    ("gsm8k_test_items301-306/0", r"78 \text{ minutes}", "correct"),
    ("gsm8k_test_items301-306/0", "78.0", "correct"),
    ("gsm8k_test_items301-306/0", "77", "wrong"),
    ("gsm8k_test_items301-306/0", "seventy-eight", "unresolved"),
    ("gsm8k_test_items301-306/3", "1,300", "correct"),                 # gold 1300
    ("gsm8k_test_items301-306/3", r"\$1300", "correct"),
    ("gsm8k_test_items301-306/4", r"\textbf{3,200}", "correct"),       # gold 3200
    ("gsm8k_test_items301-306/4", "32", "wrong"),
    ("gsm8k_test_items301-306/0", None, "wrong"),                      # no box at all
])
def test_gsm8k(items, item_id, answer, verdict):
    assert judge(by_id(items, "gsm8k", item_id), answer).verdict == verdict


@pytest.mark.parametrize("item_id, answer, verdict", [
    # "What is the inverse of $f(x)=4-5x$?" gold D = -\frac{x-4}{5}
    ("high_school_mathematics_test/0", "D", "correct"),
    ("high_school_mathematics_test/0", "(D)", "correct"),
    ("high_school_mathematics_test/0", r"\text{D}", "correct"),
    ("high_school_mathematics_test/0", "d", "correct"),
    ("high_school_mathematics_test/0", r"D. -\frac{x-4}{5}", "correct"),
    ("high_school_mathematics_test/0", r"-\dfrac{x-4}{5}", "correct"),   # the choice text alone
    ("high_school_mathematics_test/0", r"\frac{x-4}{5}", "wrong"),        # choice B's text
    ("high_school_mathematics_test/0", "B", "wrong"),
    ("high_school_mathematics_test/0", "E", "wrong"),                     # not an offered letter
    ("high_school_mathematics_test/0", r"\frac{4-x}{5}", "unresolved"),   # equivalent, but no rule knows it
    # "5th term ... first term 2, each term -2 times the previous": gold B = 32 (choices −16, 32, −32, 64)
    ("high_school_mathematics_test/1", "32", "correct"),
    ("high_school_mathematics_test/1", "32.0", "correct"),                # numeric match to one choice
    ("high_school_mathematics_test/1", "-32", "wrong"),                   # matches C's "−32" (U+2212)
    # "4 distinguishable balls into 2 indistinguishable boxes": gold D = 8
    ("high_school_mathematics_test/2", "8", "correct"),
    ("high_school_mathematics_test/2", "7", "wrong"),
])
def test_mmlu_csv(items, item_id, answer, verdict):
    assert judge(by_id(items, "mmlu_csv", item_id), answer).verdict == verdict


def test_mmlu_choice_text_with_commas(items):
    item = by_id(items, "mmlu_qwen", "mmlu_stem_qwen25math_format/2")   # gold D = "False, True"
    assert (item.gold, item.choices[3]) == ("D", "False, True")
    assert judge(item, r"\text{False, True}").verdict == "correct"
    assert judge(item, "True, True").verdict == "wrong"


@pytest.mark.parametrize("item_id, answer, verdict", [
    ("boolean_expressions/0", "True", "correct"),
    ("boolean_expressions/0", r"\text{True}", "correct"),
    ("boolean_expressions/0", "true.", "correct"),
    ("boolean_expressions/0", "Yes", "correct"),          # same answer class, as the reference's aliases
    ("boolean_expressions/2", "True", "wrong"),           # gold False
    ("boolean_expressions/2", "maybe", "wrong"),          # outside the closed answer set
    ("logical_deduction_three_objects/0", "(A)", "correct"),
    ("logical_deduction_three_objects/0", "A", "correct"),
    ("logical_deduction_three_objects/0", "The hummingbird is the leftmost", "correct"),
    ("logical_deduction_three_objects/0", "(B) The owl is the leftmost", "wrong"),
    ("multistep_arithmetic_two/0", "-21", "correct"),
    ("multistep_arithmetic_two/1", "-3,850", "correct"),
    ("multistep_arithmetic_two/1", "3850", "wrong"),
    ("word_sorting/0", "damon europa foliate potpourri", "correct"),
    ("word_sorting/0", "damon, europa, foliate, potpourri", "correct"),
    ("word_sorting/0", "europa damon foliate potpourri", "wrong"),
])
def test_bbh(items, item_id, answer, verdict):
    assert judge(by_id(items, "bbh", item_id), answer).verdict == verdict


@pytest.mark.parametrize("item_id, answer, verdict", [
    ("navigate/0", "No", "correct"),                      # gold "No"
    ("navigate/0", r"\text{no}", "correct"),
    ("navigate/1", "No", "wrong"),                        # gold "Yes"
    ("temporal_sequences/0", "B", "correct"),             # restructured: B = "4pm to 6pm" (BBH's "(A)")
    ("temporal_sequences/0", "4pm to 6pm", "correct"),
    ("temporal_sequences/0", "A", "wrong"),
])
def test_lightthinker_bbh(items, item_id, answer, verdict):
    assert judge(by_id(items, "lt_bbh", item_id), answer).verdict == verdict


def test_judgement_carries_the_adjudication_key(items):
    item = by_id(items, "gsm8k", "gsm8k_test_items301-306/0")
    judgement = judge(item, r"\text{seventy-eight}.")
    assert (judgement.verdict, judgement.normalized, judgement.reason) == ("unresolved", "seventy-eight",
                                                                           "not_a_number")
