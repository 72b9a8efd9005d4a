"""Find the model's final answer: the contents of the last complete `\\boxed{...}` in its output.

Braces nest to any depth (`\\boxed{\\frac{1}{\\sqrt{2}}}`); escaped braces `\\{ \\}` are text, not
structure. `\\fbox{...}` counts too, and so does the brace-less `\\boxed 5` (up to the next space or
`$`). A box cut off by the token budget is not an answer, so an earlier complete one wins.
"""
from __future__ import annotations

import re

_BOX = re.compile(r"\\(?:boxed|fbox)(?![A-Za-z])")


def braced(text: str, start: int) -> tuple[str, int] | None:
    """(contents, index after the closing brace) for the group opening at `text[start] == '{'`."""
    depth = 0
    i = start
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return text[start + 1:i], i + 1
        i += 1
    return None


def _box_at(text: str, end: int) -> str | None:
    """The argument of a box command whose name ends at `end`, or None if it is incomplete."""
    i = end
    while i < len(text) and text[i] in " \t":
        i += 1
    if i < len(text) and text[i] == "{":
        group = braced(text, i)
        return group[0] if group else None
    if i > end:  # `\boxed 5`: one space-delimited argument
        match = re.match(r"[^\s$]+", text[i:])
        return match.group(0) if match else None
    return None


def last_boxed(text: str) -> str | None:
    """Contents of the last complete box in `text`, stripped; None when there is none."""
    for match in reversed(list(_BOX.finditer(text))):
        contents = _box_at(text, match.end())
        if contents is not None:
            return contents.strip()
    return None
