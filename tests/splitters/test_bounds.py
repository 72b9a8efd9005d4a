"""Token bounds (min/max_thought_tokens) with real tokenizers: worked merges and splits, plugins, real traces."""
from __future__ import annotations

from pathlib import Path

import pytest

from ltdata.errors import ConfigError
from ltdata.splitters import BoundedSplitter, check_spans, make_splitter
from ltdata.splitters.thought import ThoughtSplitter

HERE = Path(__file__).resolve().parent
# Six paragraphs; Qwen tokens of each alone: 2, 7, 6, 19, 2, 2 (checked in the test below).
PARAGRAPHS = ["Where:\n\n", "x is the number of apples.\n\n", "Wait, that is wrong.\n\n",
              "So the total is x plus y, which we add up to get the answer of twelve.\n\n", "Done.\n\n", "OK."]
TEXT = "".join(PARAGRAPHS)                  # paragraph starts: 0, 8, 36, 58, 130, 137; end 140


def count(tokenizer, text: str) -> int:
    return len(tokenizer(text, add_special_tokens=False)["input_ids"])


def counts(tokenizer, text: str, spans) -> list[int]:
    return [count(tokenizer, text[s:e]) for s, e in spans]


def test_the_worked_example_has_the_counts_it_assumes(qwen):
    assert [count(qwen, p) for p in PARAGRAPHS] == [2, 7, 6, 19, 2, 2]
    # joined paragraphs encode to the sum of their parts (".\n\n" and ":\n\n" close a pre-token)
    assert count(qwen, TEXT[0:36]) == 9 and count(qwen, TEXT[36:130]) == 25 and count(qwen, TEXT[36:140]) == 29
    assert count(qwen, TEXT[0:58]) == 15 and count(qwen, TEXT[58:140]) == 23


@pytest.mark.parametrize("low, high, expected, lengths", [
    # K=8: "Where:"(2) takes in the next paragraph (9); "Wait"(6) takes in "So..."(25); "Done."(2) takes in
    # "OK." (4, still short, nothing after it) and then joins the block before it (29).
    (8, None, [(0, 36), (36, 140)], [9, 29]),
    # M=26 forbids that last join (29 > 26): "Done. OK." stays short.
    (8, 26, [(0, 36), (36, 130), (130, 140)], [9, 25, 4]),
    # M=20 forbids "Wait"+"So..." (25): "Wait" stays alone in the first pass, then joins the block before it (15).
    (8, 20, [(0, 58), (58, 130), (130, 140)], [15, 19, 4]),
    # K=1000: everything merges into one thought.
    (1000, None, [(0, 140)], [38]),
])
def test_short_thoughts_merge_with_a_neighbour_at_the_splitters_cuts(qwen, low, high, expected, lengths):
    splitter = make_splitter("thought", {}, tokenizer=qwen, min_thought_tokens=low, max_thought_tokens=high)
    spans = splitter.split(TEXT)
    assert spans == expected and counts(qwen, TEXT, spans) == lengths
    assert {s for s, _ in spans} <= {0, 8, 36, 58, 130, 137}


@pytest.mark.parametrize("high, expected, lengths", [
    # "One two. " is 4 tokens and "Three four five. " 5, but the two together are 8 (" Three" is one token):
    # counts are of the joined text, as the layout encodes it, never sums of parts.
    (8, [(0, 26), (26, 30)], [8, 2]),
    (5, [(0, 9), (9, 26), (26, 30)], [4, 5, 2]),       # sentences packed greedily
    (9, [(0, 30)], [9]),
])
def test_long_thoughts_split_at_sentence_ends(qwen, high, expected, lengths):
    text = "One two. Three four five. Six."
    spans = make_splitter("thought", {}, tokenizer=qwen, max_thought_tokens=high).split(text)
    assert spans == expected and counts(qwen, text, spans) == lengths


def test_a_sentence_without_an_end_is_cut_at_a_token_boundary(qwen):
    word = "supercalifragilisticexpialidocious"
    # in context: sup|erc|al|if|rag|il|istic|exp|ial|id|ocious; "supercalif" (4 tokens) alone is 4 tokens
    spans = make_splitter("thought", {}, tokenizer=qwen, max_thought_tokens=4).split(word)
    assert [word[s:e] for s, e in spans] == ["supercalif", "ragilisticexp", "ialidocious"]
    assert counts(qwen, word, spans) == [4, 4, 3]
    # a paragraph with no sentence end inside: "x is the number of" (5) | " apples.\n\n" (2)
    spans = make_splitter("thought", {}, tokenizer=qwen, max_thought_tokens=5).split(PARAGRAPHS[1])
    assert spans == [(0, 18), (18, 28)] and counts(qwen, PARAGRAPHS[1], spans) == [5, 2]


def test_characters_split_over_several_tokens_are_never_cut(qwen):
    text = "😀🦜🧬鬱龘中文𝔸∮∯👩‍👩‍👧‍👦" * 4
    spans = check_spans(make_splitter("thought", {}, tokenizer=qwen, max_thought_tokens=3).split(text), text,
                        splitter="thought")
    assert len(spans) > 10 and all(n <= 3 for n in counts(qwen, text, spans))
    assert "".join(qwen.decode(qwen(text[s:e], add_special_tokens=False)["input_ids"]) for s, e in spans) == text


def test_bounds_wrap_any_splitter_including_plugins(qwen, monkeypatch):
    monkeypatch.syspath_prepend(str(HERE))
    text = "one two three four five six seven"
    words = make_splitter("ltdata_splitter_plugin:Words", {"words": 1}, tokenizer=qwen, min_thought_tokens=3)
    assert isinstance(words, BoundedSplitter)
    # "one " alone is 2 tokens ("one", " "), "one two " 3: each short word takes in the next; "seven" (1) is
    # left over and joins the block before it ("five six seven", 3)
    assert [text[s:e] for s, e in words.split(text)] == ["one two ", "three four ", "five six seven"]
    # windows of 2 tokens ("one two" | " three four" | " five six" | " seven"), each short of 3, pair up
    windows = make_splitter("tokens", {"tokens": 2}, tokenizer=qwen, min_thought_tokens=3)
    assert [text[s:e] for s, e in windows.split(text)] == ["one two three four", " five six seven"]


def test_no_bounds_returns_the_splitter_itself(qwen):
    assert make_splitter("thought", {}, tokenizer=qwen) == ThoughtSplitter()
    assert make_splitter("thought", {}, tokenizer=qwen, min_thought_tokens=None, max_thought_tokens=None) == \
        ThoughtSplitter()


@pytest.mark.parametrize("kwargs, message", [
    ({"min_thought_tokens": 0}, "min_thought_tokens: must be a positive integer or None (off), got 0"),
    ({"max_thought_tokens": "9"}, "max_thought_tokens: must be a positive integer or None (off), got '9'"),
    ({"min_thought_tokens": 9, "max_thought_tokens": 3},
     "min_thought_tokens: must not exceed max_thought_tokens, got 9 > 3"),
])
def test_bad_bounds(qwen, kwargs, message):
    with pytest.raises(ConfigError) as caught:
        make_splitter("thought", {}, tokenizer=qwen, **kwargs)
    assert str(caught.value) == message


def test_bounds_need_the_tokenizer_and_are_not_splitter_options(qwen):
    with pytest.raises(ConfigError, match=r"^min_thought_tokens/max_thought_tokens: needs the build's tokenizer"):
        make_splitter("thought", {}, min_thought_tokens=4)
    with pytest.raises(ConfigError) as caught:
        make_splitter("thought", {"min_thought_tokens": 4}, tokenizer=qwen)
    assert str(caught.value) == ("splitter_options.min_thought_tokens: a build option, not a splitter option; "
                                 "use --min-thought-tokens (YAML: min_thought_tokens)")


@pytest.fixture(params=["qwen", "trained BPE"])
def tokenizer(request, byte_tokenizer_path):
    if request.param == "qwen":
        return request.getfixturevalue("qwen")
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(byte_tokenizer_path)


def test_bounds_hold_on_real_traces(tokenizer, trace_texts):
    """Every 15th real trace: no thought over M; one under K only where both merges would pass M; cuts
    are the paragraph cuts (merges) or sentence/token cuts inside a paragraph over M (splits)."""
    low, high = 36, 256
    bounded = make_splitter("thought", {}, tokenizer=tokenizer, min_thought_tokens=low, max_thought_tokens=high)
    for label, text in trace_texts[::15]:
        spans = check_spans(bounded.split(text), text, splitter="thought")
        lengths = counts(tokenizer, text, spans)
        assert max(lengths) <= high, label
        for k, (span, n) in enumerate(zip(spans, lengths)):
            if n < low and len(spans) > 1:
                neighbours = [spans[j] for j in (k - 1, k + 1) if 0 <= j < len(spans)]
                assert all(count(tokenizer, text[min(a, span[0]):max(b, span[1])]) > high for a, b in neighbours), label
        paragraphs = ThoughtSplitter().split(text)
        long_paragraphs = [p for p, n in zip(paragraphs, counts(tokenizer, text, paragraphs)) if n > high]
        for start, _ in spans:
            assert any(s == start for s, _ in paragraphs) or any(s < start < e for s, e in long_paragraphs), label
