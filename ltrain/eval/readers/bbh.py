"""BIG-Bench Hard: `{"examples": [{"input", "target"}]}` per task file (task = file name).

The kind follows the target: "(A)" is a choice (options parsed from the input's `(X) text` lines,
which the prompt already shows), an integer is numeric, anything else (True/False, Yes/No,
valid/invalid, sorted words, Dyck closings) is exact. LightThinker's files hold `question`/`answer`,
with restructured choices in `meta_data.structured` for some tasks.
"""
from __future__ import annotations

import re

from ltrain.eval.items import LETTERS, EvalItem
from ltrain.eval.readers.rows import Row

_LETTER_TARGET = re.compile(r"^\(([A-Z])\)$")
_OPTION = re.compile(r"^\(([A-Z])\)\s*(.*?)\s*$", re.M)
_INTEGER = re.compile(r"^-?\d+(?:\.\d+)?$")


def bbh_item(row: Row, item_id: str) -> EvalItem:
    data = row.mapping()
    if "input" in data:
        question, target = row.text("input").strip(), str(row.field("target")).strip()
        structured = None
    else:
        question, target = row.text("question").strip(), str(row.field("answer")).strip()
        meta = data.get("meta_data")
        structured = meta.get("structured") if isinstance(meta, dict) else None
    common = dict(id=item_id, dataset="bbh", subset=row.subset, question=question, source=str(row.origin))
    if isinstance(structured, dict) and structured.get("choices"):
        choices = tuple(str(c).strip() for c in structured["choices"])
        gold = target.strip("()").upper()
        if gold not in LETTERS[:len(choices)]:
            raise row.fail(f"must be a letter A-{LETTERS[len(choices) - 1]}, got {target!r}", "answer")
        return EvalItem(**common, gold=gold, kind="choice", choices=choices, choices_in_question=True)
    if (letter := _LETTER_TARGET.match(target)) is not None:
        options = dict(_OPTION.findall(question))
        if letter.group(1) not in options:
            raise row.fail(f"target {target!r} is not among the input's options", "target")
        letters = LETTERS[:len(options)]
        if "".join(sorted(options)) != letters:
            raise row.fail(f"options must be lettered A-{letters[-1]} in order, got {''.join(options)}", "input")
        return EvalItem(**common, gold=letter.group(1), kind="choice",
                        choices=tuple(options[k] for k in letters), choices_in_question=True)
    if _INTEGER.match(target):
        return EvalItem(**common, gold=target, kind="numeric")
    return EvalItem(**common, gold=target, kind="exact")
