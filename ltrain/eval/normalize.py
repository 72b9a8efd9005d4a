"""Turn a boxed answer into a canonical string, and a number when it is one (without `eval`).

Models write the same answer many ways: `\\$1,000`, `1000 \\text{ dollars}`, `\\dfrac{1}{2}`,
`50\\%`, `x = 5.`. Normalising first keeps the exact-match rules small and makes the adjudication
key stable: one manual verdict covers every spelling that normalises to the same text.
"""
from __future__ import annotations

import re
from fractions import Fraction

from ltrain.eval.extract import braced

_UNWRAP = ("text", "textbf", "textit", "textrm", "mathrm", "mathbf", "mathit", "operatorname", "mbox",
           "boxed", "fbox")
_UNWRAP_RE = re.compile(r"\\(" + "|".join(_UNWRAP) + r")\s*(?=\{)")
_DROP = (r"\left", r"\right", r"\displaystyle", r"\!", r"\,", r"\;", r"\:", r"^\circ", r"^{\circ}", r"\circ",
         r"\$", "$", r"\(", r"\)", r"\[", r"\]")
_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)"
_THOUSANDS = re.compile(r"(?<![\d.])([+-]?\d{1,3}(?:,\d{3})+)(?![\d,])")
_WORD = r"[A-Za-z]+(?:\^\{?\d\}?)?"   # a unit word, optionally squared/cubed: cm^2, m^{3}
_UNIT = re.compile(rf"^({_NUMBER}%?)\s+{_WORD}(?:[\s/.]+{_WORD})*\.?$")
_ASSIGN = re.compile(r"^[A-Za-z]\w*\s*=\s*(.+)$")
_FRAC = re.compile(rf"^([+-]?)\\frac\s*\{{\s*({_NUMBER})\s*\}}\s*\{{\s*({_NUMBER})\s*\}}$")
_SLASH = re.compile(rf"^({_NUMBER})\s*/\s*({_NUMBER})$")


def _unwrap(text: str) -> str:
    """`\\text{ cm}` -> ` cm` (and the other text/font commands), to any nesting depth."""
    while (match := _UNWRAP_RE.search(text)) is not None:
        brace = text.index("{", match.end() - 1)
        group = braced(text, brace)
        if group is None:
            return text[:match.start()] + text[brace + 1:]
        text = text[:match.start()] + " " + group[0] + text[group[1]:]
    return text


def normalize(answer: str) -> str:
    """Canonical text: font/text commands unwrapped, `$` and spacing commands gone, `\\dfrac` is
    `\\frac`, `{,}` is `,`, `\\%` is `%`, `−` (U+2212) is `-`, whitespace collapsed, trailing periods dropped."""
    text = _unwrap(answer)
    text = text.replace(r"\dfrac", r"\frac").replace(r"\tfrac", r"\frac").replace("{,}", ",")
    text = text.replace(r"\%", "%").replace(r"\ ", " ").replace("~", " ").replace("\u2212", "-")
    for token in _DROP:
        text = text.replace(token, "")
    text = " ".join(text.split())
    return text.rstrip(". ").strip()


def parse_number(answer: str) -> tuple[Fraction, bool] | None:
    """(value, is_percent) for numeric answers, else None.

    Accepts integers, decimals, thousands commas, `\\frac{a}{b}`, `a/b`, a trailing `%`, a leading
    `x =` and trailing unit words (`78 minutes`); anything else (`2x`, `\\sqrt{2}`) is not a number.
    """
    text = normalize(answer)
    if (assign := _ASSIGN.match(text)) is not None:
        text = assign.group(1)
    text = _THOUSANDS.sub(lambda m: m.group(1).replace(",", ""), text)
    if (unit := _UNIT.match(text)) is not None:
        text = unit.group(1)
    percent = text.endswith("%")
    text = text.removesuffix("%").strip()
    if (frac := _FRAC.match(text)) is not None:
        value = _ratio(frac.group(2), frac.group(3))
        return (None if value is None else (-value if frac.group(1) == "-" else value, percent))
    if (slash := _SLASH.match(text)) is not None:
        value = _ratio(slash.group(1), slash.group(2))
        return None if value is None else (value, percent)
    if re.fullmatch(_NUMBER, text):
        return Fraction(text), percent
    return None


def _ratio(numerator: str, denominator: str) -> Fraction | None:
    bottom = Fraction(denominator)
    return None if bottom == 0 else Fraction(numerator) / bottom


def numbers_equal(answer: Fraction, gold: Fraction, *, rel_tol: float = 1e-6) -> bool:
    """|a - g| <= rel_tol * max(1, |g|): exact for integers, forgiving for rounding noise."""
    return abs(answer - gold) <= Fraction(rel_tol) * max(Fraction(1), abs(gold))
