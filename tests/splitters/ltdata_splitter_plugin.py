"""Tiny user splitters for the registry tests (imported as `ltdata_splitter_plugin:...`)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

WORD = re.compile(r"\S+\s*")
NOT_CALLABLE = 42


@dataclass(frozen=True, kw_only=True)
class Words:
    """N words per thought (with their trailing whitespace); leading whitespace joins the first."""

    words: int = 1

    def split(self, text: str) -> list[tuple[int, int]]:
        ends = [m.end() for m in WORD.finditer(text)][self.words - 1::self.words]
        cuts = [0, *(end for end in ends if end < len(text)), len(text)] if text else []
        return list(zip(cuts, cuts[1:]))


@dataclass(frozen=True, kw_only=True)
class WithTokenizer:
    """Records the tokenizer it was given; one span for the whole text."""

    tokenizer: Any

    def split(self, text: str) -> list[tuple[int, int]]:
        return [(0, len(text))] if text else []


class Gappy:
    """Returns spans with a gap: (0, 2), (3, len)."""

    def split(self, text: str) -> list[tuple[int, int]]:
        return [(0, 2), (3, len(text))]


class Crashes:
    """Raises inside split."""

    def split(self, text: str) -> list[tuple[int, int]]:
        raise KeyError("boom")


class ReturnsNone:
    def split(self, text: str):
        return None


class NoSplit:
    """Has no split method."""


class FailsToConstruct:
    def __init__(self) -> None:
        raise RuntimeError("cannot start")

    def split(self, text: str) -> list[tuple[int, int]]:
        return [(0, len(text))]


def words_factory(**options: Any) -> Words:
    """A factory function rather than a class; takes any options."""
    return Words(**options)
