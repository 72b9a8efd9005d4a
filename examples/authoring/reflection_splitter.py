"""A worked splitter plugin: a new thought starts at each paragraph that opens with a change of course.

Long reasoning turns with "Wait", "But", "Alternatively", "Hmm" ...; cutting there keeps each thought
about one line of attack, however many paragraphs it takes. Like every splitter it returns character
spans that tile the text (the pipeline checks, and names this class if they do not).

Use: `ltdata build --splitter reflection_splitter:ReflectionSplitter --splitter-option words='[Wait, But]'`
with this directory importable, or `--splitter reflection` once the entry point is installed.
"""
from __future__ import annotations

import re
from collections.abc import Sequence

DEFAULT_WORDS = ("Wait", "But", "Alternatively", "Hmm", "Let me double-check")


class ReflectionSplitter:
    """A thought per line of attack: cut before each paragraph opening with Wait, But, Alternatively, ..."""

    def __init__(self, *, words: Sequence[str] = DEFAULT_WORDS):
        self.pattern = re.compile(r"(?<=\n\n)(?:" + "|".join(map(re.escape, words)) + r")\b")

    def split(self, text: str) -> list[tuple[int, int]]:
        cuts = [0, *(m.start() for m in self.pattern.finditer(text)), len(text)] if text else []
        return list(zip(cuts, cuts[1:]))
