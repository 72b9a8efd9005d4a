"""The counter task: a dial from 0 to 9, a start value and a few rules, one thought per rule.

Each thought restates the dial's value, copies its rule from the prompt, counts one step at a time
and states the new value. Under the LightThinker mask a finished thought is hidden, so the value the
next thought restates can only come from the cache tokens of the thought before: that is the
property the experiment measures. The text is deterministic given the problem, so thoughts can be
parsed back exactly (`parse_thoughts`).
"""
from __future__ import annotations

import random
import re
from dataclasses import dataclass

WORDS = ("zero", "one", "two", "three", "four", "five")
ORDINALS = ("One", "Two", "Three", "Four", "Five")
OPERATIONS = ("add", "subtract")
INSTRUCTION = "Return your final response within \\boxed{}. "


@dataclass(frozen=True, slots=True)
class Rule:
    operation: str        # "add" | "subtract"
    amount: int           # 1..max_amount

    @property
    def text(self) -> str:
        return f"{self.operation} {WORDS[self.amount]}"

    def apply(self, value: int) -> int:
        return (value + self.amount if self.operation == "add" else value - self.amount) % 10


@dataclass(frozen=True, slots=True)
class Problem:
    start: int
    rules: tuple[Rule, ...]

    @property
    def key(self) -> tuple:
        return (self.start, tuple((r.operation, r.amount) for r in self.rules))

    def values(self) -> list[int]:
        """The dial after each rule (values()[-1] is the answer)."""
        out, value = [], self.start
        for rule in self.rules:
            value = rule.apply(value)
            out.append(value)
        return out

    @property
    def answer(self) -> int:
        return self.values()[-1]

    def question(self) -> str:
        rules = " ".join(f"Rule {k}: {rule.text}." for k, rule in enumerate(self.rules, 1))
        return f"A dial shows {self.start}. {rules} What does the dial show after the last rule?"

    def thoughts(self) -> list[str]:
        """One thought per rule, each ending with the blank line the `thought` splitter cuts after."""
        out, value = [], self.start
        for k, rule in enumerate(self.rules, 1):
            direction = "up" if rule.operation == "add" else "down"
            counts, current = [], value
            for i in range(rule.amount):
                current = (current + (1 if rule.operation == "add" else -1)) % 10
                counts.append(f"{ORDINALS[i]} {direction} gives {current}.")
            word, steps = WORDS[rule.amount], "step" if rule.amount == 1 else "steps"
            out.append(f"Rule {k}. The dial shows {value} now. Rule {k} says {rule.text}, so I count {word} "
                       f"{direction} from {value}. {' '.join(counts)} That makes {word} {steps} {direction}. "
                       f"So after rule {k} the dial shows {current}.\n\n")
            value = current
        return out

    def answer_text(self) -> str:
        return f"The dial shows {self.answer} at the end. \\boxed{{{self.answer}}}"

    def training_record(self, record_id: str) -> dict:
        """A `plain`-format record: prompt, reasoning (the thoughts) and the answer text."""
        return {"id": record_id, "prompt": INSTRUCTION + self.question(),
                "reasoning": "".join(self.thoughts()), "answer_text": self.answer_text()}

    def gsm8k_record(self) -> dict:
        """The GSM8K layout `ltrain eval` reads: the question, and a worked answer ending `#### N`."""
        return {"question": self.question(), "answer": f"#### {self.answer}"}


@dataclass(frozen=True, slots=True)
class TaskConfig:
    min_rules: int = 4
    max_rules: int = 5
    max_amount: int = 3
    seed: int = 0


def random_problem(rng: random.Random, config: TaskConfig) -> Problem:
    rules = tuple(Rule(rng.choice(OPERATIONS), rng.randint(1, config.max_amount))
                  for _ in range(rng.randint(config.min_rules, config.max_rules)))
    return Problem(start=rng.randrange(10), rules=rules)


def make_splits(config: TaskConfig, *, train: int, test: int) -> tuple[list[Problem], list[Problem]]:
    """Distinct problems, test first: the test set is drawn, then training problems never equal to one."""
    rng = random.Random(config.seed)
    test_problems: dict[tuple, Problem] = {}
    while len(test_problems) < test:
        problem = random_problem(rng, config)
        test_problems.setdefault(problem.key, problem)
    train_problems: list[Problem] = []
    attempts = 0
    while len(train_problems) < train:
        attempts += 1
        if attempts > 50 * train:
            raise ValueError(f"only {len(train_problems)} training problems outside the test set after "
                             f"{attempts} draws; allow more rules or amounts")
        problem = random_problem(rng, config)
        if problem.key not in test_problems:
            train_problems.append(problem)
    return train_problems, list(test_problems.values())


THOUGHT = re.compile(r"Rule (\d+)\. The dial shows (\d+) now\. Rule (\d+) says (add|subtract) (\w+),"
                     r"(?:.*?)So after rule (\d+) the dial shows (\d+)\.", re.S)


@dataclass(frozen=True, slots=True)
class ParsedThought:
    index: int            # the rule number the thought names
    restated: int         # the value it says the dial shows before the rule
    operation: str
    amount: int | None    # None if the amount word is not a number word
    result: int           # the value it states after the rule


def parse_thoughts(text: str) -> list[ParsedThought]:
    """The thoughts found in a generation, in order (anything that does not parse is skipped)."""
    out = []
    for m in THOUGHT.finditer(text):
        amount = WORDS.index(m.group(5)) if m.group(5) in WORDS else None
        out.append(ParsedThought(index=int(m.group(1)), restated=int(m.group(2)) % 10, operation=m.group(4),
                                 amount=amount, result=int(m.group(7)) % 10))
    return out
