"""GSM8K: `{"question", "answer"}` with the worked solution ending in `#### N` (the public test.jsonl).

The gold is the number after the last `####`, thousands commas removed. LightThinker's eval files
hold the same records with `answer` already reduced to that number (and the original in `meta_data`).
"""
from __future__ import annotations

import re

from ltrain.eval.items import EvalItem
from ltrain.eval.normalize import parse_number
from ltrain.eval.readers.rows import Row

_FINAL = re.compile(r"####\s*(.+?)\s*$", re.S)


def gsm8k_item(row: Row, item_id: str) -> EvalItem:
    question = row.text("question").strip()
    answer = row.field("answer")
    if "meta_data" in row.mapping():
        gold = str(answer).strip()
    else:
        match = _FINAL.search(answer) if isinstance(answer, str) else None
        if match is None:
            raise row.fail("has no final '#### N' line", "answer")
        gold = match.group(1)
    gold = gold.replace(",", "")
    if parse_number(gold) is None:
        raise row.fail(f"final answer {gold!r} is not a number", "answer")
    return EvalItem(id=item_id, dataset="gsm8k", subset=row.subset, question=question, gold=gold,
                    kind="numeric", source=str(row.origin))
