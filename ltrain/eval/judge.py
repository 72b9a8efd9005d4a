"""Decide whether an extracted answer is right: correct, wrong, or unresolved (for a human).

The rules only say "correct" or "wrong" when they are sure: numbers compare by value, letters by
letter, closed answer sets (True/False, Yes/No, valid/invalid) by class. What they cannot decide
(a numeric question answered in words, a choice answered by a paraphrase) stays "unresolved" and
goes to adjudication; a missing box is wrong, as in the reference.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from ltrain.eval.items import LETTERS, EvalItem
from ltrain.eval.normalize import normalize, numbers_equal, parse_number

Verdict = Literal["correct", "wrong", "unresolved"]
_POSITIVE = frozenset({"true", "yes", "valid"})
_NEGATIVE = frozenset({"false", "no", "invalid"})
_LETTER_ALONE = re.compile(r"^\(?([A-Za-z])\)?$")
_LETTER_TEXT = re.compile(r"^(?:\(([A-Z])\)|([A-Z])[.:)])\s*(.+)$")


@dataclass(frozen=True, slots=True)
class Judgement:
    """A verdict with the normalised answer it was reached on (the adjudication key) and why."""

    verdict: Verdict
    normalized: str | None
    reason: str


def judge(item: EvalItem, answer: str | None, *, rel_tol: float = 1e-6) -> Judgement:
    """Judge one extracted answer (None = the output had no box) against `item.gold`."""
    if answer is None:
        return Judgement("wrong", None, "no_answer")
    normalized = normalize(answer)
    if not normalized:
        return Judgement("wrong", normalized, "empty_answer")
    if item.kind == "numeric":
        verdict, reason = _numeric(normalized, item.gold, rel_tol)
    elif item.kind == "choice":
        verdict, reason = _choice(normalized, item, rel_tol)
    else:
        verdict, reason = _exact(normalized, item.gold)
    return Judgement(verdict, normalized, reason)


def _numeric(answer: str, gold: str, rel_tol: float) -> tuple[Verdict, str]:
    parsed, target = parse_number(answer), parse_number(gold)
    if target is None:
        raise ValueError(f"numeric gold answer {gold!r} is not a number")
    if parsed is None:
        return "unresolved", "not_a_number"
    value, percent = parsed
    candidates = [value, value / 100] if percent else [value]
    ok = any(numbers_equal(c, target[0], rel_tol=rel_tol) for c in candidates)
    return ("correct" if ok else "wrong"), "number"


def answer_letter(answer: str, choices: tuple[str, ...], *, rel_tol: float = 1e-6) -> tuple[str | None, str]:
    """The choice letter an answer names ("B", "(B)", "B. text") or whose text it gives; None if none."""
    if (alone := _LETTER_ALONE.match(answer)) is not None:
        return alone.group(1).upper(), "letter"
    if (with_text := _LETTER_TEXT.match(answer)) is not None:
        return with_text.group(1) or with_text.group(2), "letter"
    key = _text_key(answer)
    matches = [i for i, choice in enumerate(choices) if _text_key(normalize(choice)) == key]
    if not matches:
        number = parse_number(answer)
        if number is not None:
            matches = [i for i, choice in enumerate(choices)
                       if (c := parse_number(choice)) is not None and numbers_equal(number[0], c[0], rel_tol=rel_tol)]
    if len(matches) == 1:
        return LETTERS[matches[0]], "choice_text"
    return None, "no_choice_matched"


def _choice(answer: str, item: EvalItem, rel_tol: float) -> tuple[Verdict, str]:
    found, reason = answer_letter(answer, item.choices or (), rel_tol=rel_tol)
    if found is None:
        return "unresolved", reason
    return ("correct" if found == item.gold else "wrong"), reason


def _exact(answer: str, gold: str) -> tuple[Verdict, str]:
    key, target = _text_key(answer), _text_key(gold)
    for answer_set in (_POSITIVE, _NEGATIVE):
        if target in answer_set:
            other = _NEGATIVE if answer_set is _POSITIVE else _POSITIVE
            if key in answer_set:
                return "correct", "answer_class"
            return "wrong", ("answer_class" if key in other else "outside_answer_set")
    if not any(ch.isalnum() for ch in target):  # Dyck-style targets: spacing is not meaningful
        key, target = key.replace(" ", ""), target.replace(" ", "")
    return ("correct" if key == target else "wrong"), "exact"


def _text_key(text: str) -> str:
    """Case, commas between words, surrounding quotes and final periods do not matter."""
    text = text.casefold().replace(",", " ").strip(" '\"`")
    return " ".join(text.split()).rstrip(".")
