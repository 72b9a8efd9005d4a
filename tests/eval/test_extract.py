"""Last-box extraction and normalisation: exact expected strings and numbers, written by hand."""
from __future__ import annotations

from fractions import Fraction

import pytest

from ltrain.eval.extract import last_boxed
from ltrain.eval.normalize import normalize, parse_number

# The end of a real Sky-T1 solution (tests/data/readers/sky-t1_minerva.jsonl style) with two boxes.
SOLUTION = ("<|begin_of_solution|>\n\nThe area is $\\boxed{12}$ square units at first, but after the "
            "correction the final answer is\n\n\\[\n\\boxed{\\dfrac{3}{4}}\n\\]\n\n<|end_of_solution|>")


@pytest.mark.parametrize("text, expected", [
    (SOLUTION, r"\dfrac{3}{4}"),
    (r"so $\boxed{\frac{1}{\sqrt{2}}}$", r"\frac{1}{\sqrt{2}}"),
    (r"\boxed{\left\{ \frac{a}{b_{1}} \right\}} deep", r"\left\{ \frac{a}{b_{1}} \right\}"),
    (r"\boxed{\{1, 2\}}", r"\{1, 2\}"),
    (r"\boxed{\text{(B)}}", r"\text{(B)}"),
    (r"answer: \boxed 5$ done", "5"),
    (r"\fbox{1,000}", "1,000"),
    (r"\boxed{ 7 } and later \boxed{8", "7"),           # the last box is cut off: the earlier one wins
    (r"\boxed{\text{No}}.", r"\text{No}"),
    ("no box here, answer is 5", None),
    (r"\boxedfoo{3}", None),
])
def test_last_boxed(text, expected):
    assert last_boxed(text) == expected


@pytest.mark.parametrize("answer, expected", [
    (r"\text{True}", "True"),
    (r"\textbf{(C)}", "(C)"),
    (r"\$1,000", "1,000"),
    (r"5\,\mathrm{cm}", "5 cm"),
    (r"\dfrac{1}{2}", r"\frac{1}{2}"),
    (r"50\%", "50%"),
    (r"\left( 1, 2 \right)", "( 1, 2 )"),
    ("damon europa  foliate.", "damon europa foliate"),
    ("\u221232", "-32"),
    (r"90^\circ", "90"),
])
def test_normalize(answer, expected):
    assert normalize(answer) == expected


@pytest.mark.parametrize("answer, value, percent", [
    ("78", Fraction(78), False),
    ("1,300", Fraction(1300), False),
    (r"\$3,200", Fraction(3200), False),
    ("120,000", Fraction(120000), False),
    ("1{,}234.5", Fraction(24690, 20), False),
    (r"78 \text{ minutes}", Fraction(78), False),
    ("78 minutes.", Fraction(78), False),
    (r"\frac{3}{4}", Fraction(3, 4), False),
    (r"-\dfrac{3}{4}", Fraction(-3, 4), False),
    ("6/8", Fraction(3, 4), False),
    ("x = 5", Fraction(5), False),
    (r"12.5\%", Fraction(25, 2), True),
    ("-.5", Fraction(-1, 2), False),
    ("\u221221", Fraction(-21), False),
])
def test_parse_number(answer, value, percent):
    assert parse_number(answer) == (value, percent)


@pytest.mark.parametrize("answer", ["2x", r"\sqrt{2}", "1,2", "12,34", "3/0", "seventy-eight", r"\frac{x}{2}",
                                    "2 and 3", "__import__('os')"])
def test_not_a_number(answer):
    assert parse_number(answer) is None
