"""The counter task, its tokenizer and the carry judge, on hand-worked examples."""
from __future__ import annotations

from collections import Counter

import pytest

from experiments.mini_table1.carry import CarryStats, judge_sample, problem_of
from experiments.mini_table1.task import Problem, Rule, TaskConfig, make_splits, parse_thoughts

WORKED = Problem(start=8, rules=(Rule("add", 3), Rule("subtract", 2)))
# Typed by hand: 8 + 3 = 11 -> 1 on the dial; 1 - 2 = -1 -> 9.
WORKED_TEXT = (
    "Rule 1. The dial shows 8 now. Rule 1 says add three, so I count three up from 8. One up gives 9. "
    "Two up gives 0. Three up gives 1. That makes three steps up. So after rule 1 the dial shows 1.\n\n"
    "Rule 2. The dial shows 1 now. Rule 2 says subtract two, so I count two down from 1. One down gives 0. "
    "Two down gives 9. That makes two steps down. So after rule 2 the dial shows 9.\n\n")


def test_worked_example_text_and_answer():
    assert "".join(WORKED.thoughts()) == WORKED_TEXT
    assert WORKED.answer == 9
    assert WORKED.answer_text() == "The dial shows 9 at the end. \\boxed{9}"
    assert WORKED.question() == ("A dial shows 8. Rule 1: add three. Rule 2: subtract two. "
                                 "What does the dial show after the last rule?")
    assert WORKED.gsm8k_record()["answer"] == "#### 9"


def test_splits_are_deterministic_disjoint_and_answers_agree_with_a_signed_sum():
    config = TaskConfig(seed=3)
    train, test = make_splits(config, train=400, test=50)
    assert (train, test) == make_splits(config, train=400, test=50)
    assert train != make_splits(TaskConfig(seed=4), train=400, test=50)[0]
    assert len({p.key for p in test}) == 50
    assert not {p.key for p in train} & {p.key for p in test}
    for problem in train + test:
        assert config.min_rules <= len(problem.rules) <= config.max_rules
        signed = sum(r.amount if r.operation == "add" else -r.amount for r in problem.rules)
        assert problem.answer == (problem.start + signed) % 10


def test_thoughts_parse_back_and_questions_invert():
    parsed = parse_thoughts(WORKED_TEXT)
    assert [(t.index, t.restated, t.operation, t.amount, t.result) for t in parsed] == [
        (1, 8, "add", 3, 1), (2, 1, "subtract", 2, 9)]
    for problem in make_splits(TaskConfig(seed=1), train=0, test=30)[1]:
        assert problem_of(problem.question()) == problem


def _judge(text: str, compressions: int = 2) -> CarryStats:
    stats = CarryStats()
    judge_sample(WORKED, text, compressions, stats)
    return stats


def test_judge_puts_each_error_down_to_one_cause():
    clean = _judge(WORKED_TEXT)
    assert (clean.carried, clean.carried_total, clean.first_restated, sum(clean.errors.values())) == (1, 1, 1, 0)
    assert clean.compressions_match == 1 and clean.right_thought_count == 1

    carry = _judge(WORKED_TEXT.replace("Rule 2. The dial shows 1 now", "Rule 2. The dial shows 4 now"))
    assert carry.carried == 0 and carry.errors == Counter(carry=1)

    operation = _judge(WORKED_TEXT.replace("Rule 2 says subtract two", "Rule 2 says add two"))
    assert operation.carried == 1 and operation.errors == Counter(operation=1)

    arithmetic = _judge(WORKED_TEXT.replace("So after rule 2 the dial shows 9", "So after rule 2 the dial shows 7"))
    assert arithmetic.carried == 1 and arithmetic.errors == Counter(arithmetic=1)

    short = _judge(WORKED_TEXT.split("\n\n")[0], compressions=1)
    assert short.thoughts_parsed == 1 and short.right_thought_count == 0 and short.compressions_match == 0


def test_tokenizer_decodes_losslessly_with_one_token_per_digit(tmp_path):
    from transformers import AutoTokenizer

    from experiments.mini_table1.tokenizer import train_tokenizer

    train, _ = make_splits(TaskConfig(), train=300, test=1)
    records = [p.training_record(str(i)) for i, p in enumerate(train)]
    path = train_tokenizer([r[k] for r in records for k in ("prompt", "reasoning", "answer_text")], tmp_path)
    tokenizer = AutoTokenizer.from_pretrained(str(path))
    text = records[0]["reasoning"]
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    assert tokenizer.decode(ids) == text
    for digit in range(10):
        assert len(tokenizer(f" {digit}", add_special_tokens=False)["input_ids"]) == 1
    assert tokenizer.apply_chat_template([{"role": "user", "content": "hi"}], tokenize=False,
                                         add_generation_prompt=True) == "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"


@pytest.mark.parametrize("question", ["A dial shows 8. What does the dial show?", "Rule 1: add three."])
def test_problem_of_rejects_other_text(question):
    with pytest.raises(ValueError, match="not a dial question"):
        problem_of(question)
