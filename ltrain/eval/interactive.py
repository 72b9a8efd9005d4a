"""`ltrain eval adjudicate`: ask a human about the answers the rules could not judge.

Shows question, gold and the model's answer, reads y (correct), n (wrong), e (show the whole output,
then ask again), s (skip) or q (quit) and stores each verdict at once, so quitting, Ctrl-C or a
closed stdin lose nothing. One verdict covers every sample with the same (dataset, id, answer).
"""
from __future__ import annotations

import sys
from typing import Any, Callable, Iterable, TextIO

from ltrain.eval.adjudication import Adjudications

PROMPT = "correct? [y]es / [n]o / [e] show output / [s]kip / [q]uit: "


def unresolved(samples: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Scored samples still unresolved, one per (dataset, id, normalised answer), in order."""
    seen: set[tuple[str, str, str]] = set()
    todo = []
    for s in samples:
        key = (s["dataset"], s["id"], s["normalized"])
        if s["verdict"] == "unresolved" and key not in seen:
            seen.add(key)
            todo.append(s)
    return todo


def _show(sample: dict[str, Any], number: int, total: int, out: TextIO) -> None:
    question = sample["question"] if len(sample["question"]) <= 400 else sample["question"][:400] + " ..."
    print(f"\n[{number}/{total}] {sample['dataset']} {sample['id']} ({sample['kind']})", file=out)
    print(f"question: {question}", file=out)
    for k, choice in enumerate(sample.get("choices") or []):
        print(f"  {chr(65 + k)}. {choice}", file=out)
    print(f"model answer <=> gold: {sample['normalized']}  <=>  {sample['gold']}", file=out)


def adjudicate(samples: Iterable[dict[str, Any]], adjudications: Adjudications, *,
               ask: Callable[[str], str] = input, out: TextIO = sys.stdout) -> int:
    """Ask about every unresolved sample; returns the number of verdicts recorded."""
    todo = unresolved(samples)
    recorded = 0
    for number, sample in enumerate(todo, start=1):
        _show(sample, number, len(todo), out)
        while True:
            try:
                reply = ask(PROMPT).strip().lower()
            except EOFError:
                return recorded
            if reply in ("y", "n"):
                adjudications.record(sample["dataset"], sample["id"], sample["normalized"],
                                     "correct" if reply == "y" else "wrong", gold=sample["gold"])
                recorded += 1
                break
            if reply == "e":
                print("-" * 72 + "\n" + sample["output"] + "\n" + "-" * 72, file=out)
            elif reply == "s":
                break
            elif reply == "q":
                return recorded
    return recorded
