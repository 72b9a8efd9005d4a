"""Plugins that break their contract, for the refusal tests (imported as `api_plugins:...`)."""
from __future__ import annotations


class Overlapping:
    """Returns spans that overlap: (0, 5), (3, len)."""

    def split(self, text: str) -> list[tuple[int, int]]:
        return [(0, 5), (3, len(text))]


class ReturnsDict:
    """to_trace returns the record itself."""

    name = "returns-dict"

    def detect(self, record: dict) -> bool:
        return True

    def to_trace(self, record: dict, origin):
        return record


class Careless:
    """Indexes a key that may be absent (a bare KeyError)."""

    name = "careless"

    def detect(self, record: dict) -> bool:
        return True

    def to_trace(self, record: dict, origin):
        return record["question"]
