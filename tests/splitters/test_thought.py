"""ThoughtSplitter: blank-line paragraphs, min/max lengths, option errors, every real trace."""
from __future__ import annotations

import pickle

import pytest

from ltdata.errors import ConfigError
from ltdata.splitters import check_spans
from ltdata.splitters.thought import ThoughtSplitter


def paragraphs_by_lines(text: str) -> list[tuple[int, int]]:
    """Independent oracle: walk the lines; a text line after blank line(s) starts a new paragraph."""
    spans, start, position, seen_text, after_blank = [], 0, 0, False, False
    for line in text.split("\n"):
        is_blank = not line.strip()
        if not is_blank and after_blank:
            spans.append((start, position))
            start, after_blank = position, False
        if is_blank and seen_text:
            after_blank = True
        seen_text = seen_text or not is_blank
        position += len(line) + 1
    return spans + [(start, len(text))] if text else []


@pytest.mark.parametrize("text, expected", [
    ("A.\n\nB.\n\n\nC.", [(0, 4), (4, 9), (9, 11)]),
    ("A.\n  \nB.", [(0, 6), (6, 8)]),                 # a whitespace-only line is blank
    ("A.\r\n\r\nB.", [(0, 6), (6, 8)]),               # CRLF
    ("A.\nB.", [(0, 5)]),                             # one line break is not a paragraph break
    ("\n\nA.\n\nB.", [(0, 6), (6, 8)]),               # leading blank lines join the first thought
    ("  \n\nA.", [(0, 6)]),
    ("A.\n\nB.\n\n", [(0, 4), (4, 8)]),               # trailing blank lines stay with the last
    ("A.\n\nB.\n\n  ", [(0, 4), (4, 10)]),
    ("A.\n\n  B.", [(0, 4), (4, 8)]),                 # indentation starts the next thought
    ("$$x$$\n\n\\[ y \\]\n \t\n😀 中文", [(0, 7), (7, 18), (18, 22)]),
    ("", []),
    ("  \n\n ", [(0, 5)]),
])
def test_paragraphs(text, expected):
    assert ThoughtSplitter().split(text) == expected


@pytest.mark.parametrize("min_chars, expected", [
    (10, [(0, 12), (12, 44)]),   # "Hi.\n\n" + "Wait.\n\n" reach 12; "Ok." joins the one before
    (5, [(0, 5), (5, 12), (12, 44)]),
    (1000, [(0, 44)]),
])
def test_min_chars_merges_forward_and_the_last_backward(min_chars, expected):
    text = "Hi.\n\nWait.\n\nThis is a longer paragraph.\n\nOk."
    assert ThoughtSplitter(min_chars=min_chars).split(text) == expected


@pytest.mark.parametrize("text, max_chars, expected", [
    ("One two. Three four five. Six.", 20, [(0, 9), (9, 26), (26, 30)]),
    ("One two. Three four five. Six.", 26, [(0, 26), (26, 30)]),     # sentences packed greedily
    ("One two. Three four five. Six.", 30, [(0, 30)]),
    ("Yes!  No?  Maybe.", 8, [(0, 6), (6, 11), (11, 17)]),          # the whitespace stays with the sentence
    ("aaaa bbbb cccc", 7, [(0, 5), (5, 10), (10, 14)]),              # no sentence end: last whitespace
    ("abcdefghij", 4, [(0, 4), (4, 8), (8, 10)]),                    # no whitespace: hard cut
    ("Short.\n\nAlpha beta. Gamma delta.", 15, [(0, 8), (8, 20), (20, 32)]),
])
def test_max_chars_splits_at_sentence_ends(text, max_chars, expected):
    assert ThoughtSplitter(max_chars=max_chars).split(text) == expected


def test_min_merges_first_then_max_splits():
    assert ThoughtSplitter(min_chars=5, max_chars=100).split("A.\n\nB.\n\nC.") == [(0, 10)]
    # The merged piece is longer than max_chars, so it is split again: max_chars wins over min_chars.
    text = "A.\n\nBbbbbbbbb ccccccccc.\n\nD."
    assert ThoughtSplitter(min_chars=5, max_chars=12).split(text) == [(0, 4), (4, 14), (14, 26), (26, 28)]


@pytest.mark.parametrize("options, message", [
    ({"min_chars": 0}, "splitter_options.min_chars: must be a positive integer or None (off), got 0"),
    ({"max_chars": -3}, "splitter_options.max_chars: must be a positive integer or None (off), got -3"),
    ({"max_chars": "2000"}, "splitter_options.max_chars: must be a positive integer or None (off), got '2000'"),
    ({"min_chars": True}, "splitter_options.min_chars: must be a positive integer or None (off), got True"),
    ({"min_chars": 50, "max_chars": 10},
     "splitter_options.min_chars: must not exceed max_chars, got min_chars=50 > max_chars=10"),
])
def test_bad_options(options, message):
    with pytest.raises(ConfigError) as caught:
        ThoughtSplitter(**options)
    assert str(caught.value) == message


def test_keyword_only_and_pickles():
    with pytest.raises(TypeError):
        ThoughtSplitter(10)  # type: ignore[misc]
    splitter = ThoughtSplitter(min_chars=3, max_chars=50)
    clone = pickle.loads(pickle.dumps(splitter))
    assert clone == splitter
    assert clone.split("A.\n\nB. C.") == splitter.split("A.\n\nB. C.") == [(0, 4), (4, 9)]


def test_every_real_trace_matches_the_line_oracle(trace_texts):
    splitter, thoughts = ThoughtSplitter(), 0
    for label, text in trace_texts:
        spans = check_spans(splitter.split(text), text, splitter="thought")
        assert spans == paragraphs_by_lines(text), label
        thoughts += len(spans)
    assert thoughts > 20 * len(trace_texts)


def test_limits_hold_on_every_real_trace(trace_texts):
    at_least, at_most = ThoughtSplitter(min_chars=300), ThoughtSplitter(max_chars=700)
    for label, text in trace_texts:
        long_spans = check_spans(at_least.split(text), text, splitter="thought")
        assert all(e - s >= 300 for s, e in long_spans) or len(long_spans) == 1, label
        short_spans = check_spans(at_most.split(text), text, splitter="thought")
        assert all(e - s <= 700 for s, e in short_spans), label
