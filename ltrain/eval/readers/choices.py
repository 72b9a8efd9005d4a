"""Multiple-choice records: MMLU (three layouts), GPQA (shuffled with a fixed seed) and the
LightThinker layout both use.

MMLU: the Hendrycks CSV (no header: question, A, B, C, D, answer letter; subject = file name),
the HF layout `question`, `choices`, `answer` (0-based index; `subject`) and Qwen2.5-Math's jsonl
(the same with `type` for the subject). GPQA: the public CSV columns `Question`, `Correct Answer`,
`Incorrect Answer 1..3`. LightThinker: `question` (choices already rendered), `choices_list`,
`answer` letter (subset = the task key, without `_test`).
"""
from __future__ import annotations

import random

from ltrain.eval.items import LETTERS, EvalItem
from ltrain.eval.prompts import render_choices
from ltrain.eval.readers.rows import Row

GPQA_SEED = 0


def mmlu_item(row: Row, item_id: str) -> EvalItem:
    if isinstance(row.data, list):
        return _hendrycks(row, item_id)
    data = row.mapping()
    if "choices_list" in data:
        return lightthinker_choice_item(row, item_id, "mmlu")
    choices = row.strings("choices")
    answer = row.field("answer")
    if isinstance(answer, int) and not isinstance(answer, bool) and 0 <= answer < len(choices):
        gold = LETTERS[answer]
    elif isinstance(answer, str) and answer.strip().upper() in LETTERS[:len(choices)]:
        gold = answer.strip().upper()
    else:
        raise row.fail(f"must be a choice index 0..{len(choices) - 1} or letter, got {answer!r}", "answer")
    subset = data.get("subject") or data.get("type") or row.subset
    return EvalItem(id=item_id, dataset="mmlu", subset=str(subset), question=row.text("question").strip(),
                    gold=gold, kind="choice", choices=tuple(c.strip() for c in choices), source=str(row.origin))


def _hendrycks(row: Row, item_id: str) -> EvalItem:
    values = row.data
    if len(values) != 6:
        raise row.fail(f"a Hendrycks MMLU row has 6 columns (question, A-D, answer), got {len(values)}")
    gold = values[5].strip().upper()
    if gold not in LETTERS[:4]:
        raise row.fail(f"answer column must be A-D, got {values[5]!r}", "answer")
    subset = row.subset.removesuffix("_test")
    return EvalItem(id=item_id, dataset="mmlu", subset=subset, question=values[0].strip(), gold=gold,
                    kind="choice", choices=tuple(v.strip() for v in values[1:5]), source=str(row.origin))


def gpqa_item(row: Row, item_id: str, *, seed: int = GPQA_SEED) -> EvalItem:
    """Choices are shuffled by `random.Random(f"{seed}:{id}")`: string seeds go through SHA-512, so
    the order is the same on every run, machine and Python version, and differs between items."""
    data = row.mapping()
    if "choices_list" in data:
        return lightthinker_choice_item(row, item_id, "gpqa")
    correct = row.text("Correct Answer").strip()
    options = [correct] + [row.text(f"Incorrect Answer {k}").strip() for k in (1, 2, 3)]
    if data.get("Record ID"):
        item_id = str(data["Record ID"])
    order = list(range(4))
    random.Random(f"{seed}:{item_id}").shuffle(order)
    choices = tuple(options[i] for i in order)
    subset = data.get("High-level domain") or row.subset
    return EvalItem(id=item_id, dataset="gpqa", subset=str(subset), question=row.text("Question").strip(),
                    gold=LETTERS[order.index(0)], kind="choice", choices=choices, source=str(row.origin))


def lightthinker_choice_item(row: Row, item_id: str, dataset: str) -> EvalItem:
    """The question keeps its rendered choices unless they are exactly what our prompt would add."""
    choices = tuple(c.strip() for c in row.strings("choices_list"))
    gold = str(row.field("answer")).strip().strip("()").upper()
    if gold not in LETTERS[:len(choices)]:
        raise row.fail(f"must be a letter A-{LETTERS[len(choices) - 1]}, got {row.field('answer')!r}", "answer")
    question = row.text("question").strip()
    suffix = "\n" + render_choices(choices)
    shown = not question.endswith(suffix)
    question = question if shown else question[:-len(suffix)]
    return EvalItem(id=item_id, dataset=dataset, subset=row.subset.removesuffix("_test"), question=question,
                    gold=gold, kind="choice", choices=choices, choices_in_question=shown, source=str(row.origin))
