"""Does the state survive compression? Each generated thought is checked against the one before it.

A thought restates the dial's value; under LightThinker the previous thought is evicted by then, so
a correct restatement means the value was carried by that thought's cache tokens. Every thought is
also checked for the rule it copied from the prompt and for its own counting, so an error is put
down to exactly one cause: carry, operation, arithmetic, or a thought that does not parse.
"""
from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from experiments.mini_table1.task import WORDS, Problem, Rule, parse_thoughts

QUESTION = re.compile(r"A dial shows (\d)\. ((?:Rule \d+: (?:add|subtract) \w+\. )+)What does")
RULE = re.compile(r"Rule (\d+): (add|subtract) (\w+)\.")
CAUSES = ("carry", "operation", "arithmetic")


def problem_of(question: str) -> Problem:
    """The problem a test question states (the inverse of `Problem.question`)."""
    m = QUESTION.search(question)
    if m is None:
        raise ValueError(f"not a dial question: {question[:80]!r}")
    rules = tuple(Rule(op, WORDS.index(word)) for _, op, word in RULE.findall(m.group(2)))
    return Problem(start=int(m.group(1)), rules=rules)


@dataclass
class CarryStats:
    """Per-thought verdicts over one eval run (thoughts after the first are the carried ones)."""

    samples: int = 0
    thoughts_expected: int = 0
    thoughts_parsed: int = 0
    carried: int = 0              # thoughts 2.. whose restated value equals the previous thought's result
    carried_total: int = 0
    first_restated: int = 0       # thought 1 restates the start value read from the prompt
    errors: Counter = field(default_factory=Counter)   # cause -> thoughts whose first error it is
    right_thought_count: int = 0  # samples that wrote exactly one thought per rule
    compressions_match: int = 0   # samples whose measured compressions equal their rule count

    @property
    def carry_rate(self) -> float:
        return self.carried / self.carried_total if self.carried_total else float("nan")

    def row(self, label: str) -> dict:
        parsed = max(self.thoughts_parsed, 1)
        return {"model": label, "samples": self.samples,
                "carry": round(100 * self.carry_rate, 1),
                "first_restated": round(100 * self.first_restated / max(self.samples, 1), 1),
                "thoughts_parsed": round(100 * self.thoughts_parsed / max(self.thoughts_expected, 1), 1),
                **{f"err_{cause}": round(100 * self.errors[cause] / parsed, 1) for cause in CAUSES},
                "right_thought_count": round(100 * self.right_thought_count / max(self.samples, 1), 1),
                "compressions_match": round(100 * self.compressions_match / max(self.samples, 1), 1)}


def judge_sample(problem: Problem, output: str, compressions: int, stats: CarryStats) -> None:
    thoughts = parse_thoughts(output)
    stats.samples += 1
    stats.thoughts_expected += len(problem.rules)
    stats.thoughts_parsed += min(len(thoughts), len(problem.rules))
    stats.right_thought_count += len(thoughts) == len(problem.rules)
    stats.compressions_match += compressions == len(problem.rules)
    previous = None
    for k, thought in enumerate(thoughts[:len(problem.rules)]):
        rule = problem.rules[k]
        if previous is None:
            stats.first_restated += thought.restated == problem.start
            carried_ok = True
        else:
            stats.carried_total += 1
            carried_ok = thought.restated == previous.result
            stats.carried += carried_ok
        own_rule = Rule(thought.operation, thought.amount) if thought.amount is not None else None
        if not carried_ok:
            stats.errors["carry"] += 1
        elif own_rule != rule:
            stats.errors["operation"] += 1
        elif own_rule.apply(thought.restated) != thought.result:
            stats.errors["arithmetic"] += 1
        previous = thought


def judge_run(run_dir: str | Path, dataset: str = "gsm8k") -> CarryStats:
    """Verdicts over `RUN/samples/<dataset>.jsonl` as `ltrain eval` wrote it."""
    stats = CarryStats()
    path = Path(run_dir) / "samples" / f"{dataset}.jsonl"
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            sample = json.loads(line)
            judge_sample(problem_of(sample["question"]), sample["output"], sample["stats"]["compressions"], stats)
    return stats
