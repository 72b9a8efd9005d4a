"""TokenWindowSplitter with the real Qwen and Llama-3.2 tokenizers: exact windows, characters, real traces."""
from __future__ import annotations

import pickle

import pytest

from ltdata.errors import ConfigError
from ltdata.splitters import check_spans
from ltdata.splitters.tokens import TokenWindowSplitter

MIXED = ("Let $f(x)=\\frac{\\sqrt{x^2+1}}{2}$ 😀🦜🧬 so 鬱龘中文 gives 𝔸 ∮∯ and 👩‍👩‍👧‍👦.\n\n"
         "Wait — ça marche? Ünïcödé … ok!! \\boxed{42}") * 3


def offsets(tokenizer, text: str) -> list[tuple[int, int]]:
    return tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)["offset_mapping"]


def tokens_per_window(spans, token_offsets) -> list[int]:
    """How many tokens start inside each span."""
    counts = [0] * len(spans)
    k = 0
    for start, _ in token_offsets:
        while start >= spans[k][1]:
            k += 1
        counts[k] += 1
    return counts


@pytest.fixture(params=["qwen", "llama"])
def tokenizer(request):
    return request.getfixturevalue(request.param)


@pytest.mark.parametrize("tokens, expected", [
    (2, [(0, 7), (7, 18), (18, 23)]),      # "one two" | " three four" | " five"
    (1, [(0, 3), (3, 7), (7, 13), (13, 18), (18, 23)]),
    (5, [(0, 23)]),
    (64, [(0, 23)]),
])
def test_windows_of_common_words(tokenizer, tokens, expected):
    assert TokenWindowSplitter(tokens=tokens, tokenizer=tokenizer).split("one two three four five") == expected


def test_no_cut_inside_a_character(tokenizer):
    # Each of these emoji is several byte-level tokens with the same character offsets.
    assert TokenWindowSplitter(tokens=1, tokenizer=tokenizer).split("🦜🧬") == [(0, 1), (1, 2)]
    assert TokenWindowSplitter(tokens=1, tokenizer=tokenizer).split("") == []


@pytest.mark.parametrize("size", [1, 2, 3, 7, 64])
def test_mixed_script_cuts_fall_on_clean_token_boundaries(tokenizer, size):
    spans = check_spans(TokenWindowSplitter(tokens=size, tokenizer=tokenizer).split(MIXED), MIXED, splitter="tokens")
    token_offsets = offsets(tokenizer, MIXED)
    clean = {start for k, (start, _) in enumerate(token_offsets)
             if k and start >= max(end for _, end in token_offsets[:k])}
    assert {s for s, _ in spans[1:]} <= clean
    counts = tokens_per_window(spans, token_offsets)
    assert all(count >= size for count in counts[:-1]) and 1 <= counts[-1]
    assert sum(counts) == len(token_offsets)
    # the text has no cut inside a character, and re-joining the windows gives it back
    assert "".join(MIXED[s:e] for s, e in spans) == MIXED


def test_windows_are_exactly_n_tokens_on_real_traces(tokenizer, trace_texts):
    splitter = TokenWindowSplitter(tokens=50, tokenizer=tokenizer)
    checked = 0
    for label, text in trace_texts[::15]:
        token_offsets = offsets(tokenizer, text)
        if any(token_offsets[k][0] < token_offsets[k - 1][1] for k in range(1, len(token_offsets))):
            continue  # a character split over tokens: windows may grow there (covered above)
        counts = tokens_per_window(splitter.split(text), token_offsets)
        assert counts[:-1] == [50] * (len(counts) - 1) and 1 <= counts[-1] <= 50, label
        checked += 1
    assert checked >= 20


def test_every_real_trace_tiles(tokenizer, trace_texts):
    splitter = TokenWindowSplitter(tokens=64, tokenizer=tokenizer)
    for label, text in trace_texts:
        check_spans(splitter.split(text), text, splitter=f"tokens({label})")


@pytest.mark.parametrize("options, message", [
    ({"tokens": 0}, "splitter_options.tokens: must be a positive integer, got 0"),
    ({"tokens": None}, "splitter_options.tokens: must be a positive integer, got None"),
    ({"tokens": "8"}, "splitter_options.tokens: must be a positive integer, got '8'"),
    ({"tokenizer": None}, "splitter 'tokens': needs the build's tokenizer (make_splitter(..., tokenizer=...))"),
    ({"tokenizer": object()}, "splitter 'tokens': needs a fast tokenizer with offset mappings, got object"),
])
def test_bad_options(qwen, options, message):
    with pytest.raises(ConfigError) as caught:
        TokenWindowSplitter(**{"tokenizer": qwen, **options})
    assert str(caught.value) == message


def test_pickles_with_its_tokenizer(qwen):
    splitter = TokenWindowSplitter(tokens=3, tokenizer=qwen)
    clone = pickle.loads(pickle.dumps(splitter))
    assert clone.tokens == 3 and "tokenizer" not in repr(clone)
    assert clone.split(MIXED) == splitter.split(MIXED)
