"""BalancedSplitter with the real Qwen tokenizer: worked costs, a brute-force oracle, options, real traces."""
from __future__ import annotations

import itertools
import math
import pickle
import re

import pytest

from ltdata.errors import ConfigError
from ltdata.splitters import check_spans, make_splitter
from ltdata.splitters.balanced import BalancedSplitter
from ltdata.splitters.thought import ThoughtSplitter

MARKERS = ("Wait", "But", "Alternatively", "Let me", "Let's", "So", "Hmm", "However", "Actually", "Hold on",
           "On second thought", "Instead", "Now", "Okay", "Therefore", "Oh")


def token_ends(tokenizer, text: str) -> list[int]:
    return [e for _, e in tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)["offset_mapping"]]


def cost_of(text: str, cuts: tuple[int, ...], ends: list[int], target: int, low: int, high: int) -> float:
    """The docstring's cost, written out again: sum of length(n) minus the strength of each cut.

    `ends`: the end offsets of the tokens of the whole text (a token counts where it ends)."""
    before = [sum(1 for e in ends if e <= p) for p in (0, *cuts)] + [len(ends)]

    def length(n: int) -> float:
        n = max(n, 1)
        return math.log(n / target) ** 2 + 4 * (max(0, low - n) / low + max(0, n - high) / high)

    def strength(cut: int) -> float:
        paragraph = re.search(r"\n[^\S\n]*\n\s*$", text[:cut]) is not None
        opening = re.match(r"[^\S\n]*(?:\*\*|#+ )?(?:" + "|".join(MARKERS) + r")\b", text[cut:]) is not None
        return (1.0 if paragraph else 0.4) + (1.0 if opening else 0.0)

    return sum(length(b - a) for a, b in zip(before, before[1:])) - sum(strength(c) for c in cuts)


def candidates(text: str) -> list[int]:
    """Paragraph ends (ThoughtSplitter's cuts) and, inside paragraphs, ends of `[.!?]` + whitespace."""
    paragraph = {s for s, _ in ThoughtSplitter().split(text)} - {0}
    sentence = {m.end() for m in re.finditer(r"[.!?]\s+", text)
                if "\n\n" not in re.sub(r"[^\S\n]", "", m.group()) and text[m.end():].strip()}
    return sorted(paragraph | sentence)


def balanced(tokenizer, target: int, low: int, high: int) -> BalancedSplitter:
    return BalancedSplitter(tokenizer=tokenizer, target_tokens=target, min_thought_tokens=low, max_thought_tokens=high)


@pytest.mark.parametrize("text, band, expected, why", [
    # token positions (a token counts where it ends): "...six. " 7 | "...ten.\n\n" 12 | "...thirteen. " 17 | end 23.
    # One paragraph cut: 12 + 11 tokens -> ln(1.2)^2 + ln(1.1)^2 - 1.0 = -0.958; the two sentence cuts around it:
    # 7 + 10 + 6 -> 0.127 + 0 + 0.261 - 0.8 = -0.412; a sentence and the paragraph: -0.783.
    ("One two three four five six. Seven eight nine ten.\n\nEleven twelve thirteen. Fourteen fifteen sixteen "
     "seventeen.", (10, 5, 20), [52], "a paragraph break beats sentence ends"),
    # positions: paragraph break at 8, sentence end before "Wait" at 12, end 19. Cutting before "Wait":
    # 12 + 7 -> 0.033 + 0.127 - 1.4 = -1.240; at the paragraph: 8 + 11 -> 0.050 + 0.009 - 1.0 = -0.941;
    # both: 8 + 4 + 7 (4 is under K = 5) -> 0.050 + 0.840 + 0.8 + 0.127 - 2.4 = -0.583.
    ("One two three four five six seven.\n\nEight nine ten. Wait, eleven twelve thirteen fourteen.", (10, 5, 20),
     [52], "a sentence end before a discourse marker beats a paragraph break"),
    # paragraphs of 2, 7, 6, 19, 2, 2 tokens, target 12 in [6, 24]: "Where:" joins the next paragraph (9), the
    # paragraphs opening with "Wait" (6) and "So" (19, with "Done." and "OK." after it: 23) start thoughts:
    # 0.083 + 0.693 + 0.268 - 2.0 - 2.0 = -3.014 (the next best, also cutting before "Done.", is -1.685).
    ("Where:\n\nx is the number of apples.\n\nWait, that is wrong.\n\nSo the total is x plus y, which we add up "
     "to get the answer of twelve.\n\nDone.\n\nOK.", (12, 6, 24), [36, 58], "tiny paragraphs join a neighbour"),
])
def test_worked_costs(qwen, text, band, expected, why):
    target, low, high = band
    spans = balanced(qwen, target, low, high).split(text)
    assert [s for s, _ in spans[1:]] == expected, why
    ends = token_ends(qwen, text)
    best = min((cost_of(text, c, ends, target, low, high), c) for r in range(4)
               for c in itertools.combinations(candidates(text), r))
    assert best[1] == tuple(expected)


def test_dynamic_programming_finds_the_least_cost(qwen, trace_texts):
    """Against every subset of candidate cuts, on windows of real traces with 3 to 9 candidates."""
    checked = 0
    for label, text in trace_texts[::19]:
        for start in range(0, min(len(text), 6000), 1500):
            window = text[start:start + 600]
            cuts = candidates(window)
            if not 3 <= len(cuts) <= 9:
                continue
            spans = check_spans(balanced(qwen, 24, 8, 72).split(window), window, splitter="balanced")
            chosen = tuple(s for s, _ in spans[1:])
            assert set(chosen) <= set(cuts), label
            ends = token_ends(qwen, window)
            least = min(cost_of(window, c, ends, 24, 8, 72) for r in range(len(cuts) + 1)
                        for c in itertools.combinations(cuts, r))
            assert cost_of(window, chosen, ends, 24, 8, 72) == pytest.approx(least, abs=1e-9), label
            checked += 1
    assert checked >= 20


def test_band_defaults_and_the_builds_bounds(qwen):
    assert BalancedSplitter(tokenizer=qwen).band == (32, 96, 288)
    assert BalancedSplitter(tokenizer=qwen, target_tokens=10).band == (3, 10, 30)
    assert BalancedSplitter(tokenizer=qwen, min_thought_tokens=200).band == (200, 200, 288)    # T clamped into [K, M]
    assert BalancedSplitter(tokenizer=qwen, max_thought_tokens=64).band == (32, 64, 64)
    splitter = make_splitter("balanced", {"target_tokens": 50}, tokenizer=qwen, min_thought_tokens=36,
                             max_thought_tokens=256)
    assert splitter.splitter == BalancedSplitter(tokenizer=qwen, target_tokens=50, min_thought_tokens=36,
                                                 max_thought_tokens=256)


@pytest.mark.parametrize("options, message", [
    ({"target_tokens": 0}, "splitter_options.target_tokens: must be a positive integer, got 0"),
    ({"target": 3}, "splitter_options.target: not an option of splitter 'balanced' (valid: target_tokens)"),
])
def test_bad_options(qwen, options, message):
    with pytest.raises(ConfigError) as caught:
        make_splitter("balanced", options, tokenizer=qwen)
    assert str(caught.value) == message


def test_needs_the_tokenizer():
    with pytest.raises(ConfigError, match=r"^splitter 'balanced': needs the build's tokenizer"):
        make_splitter("balanced")


def test_edge_texts(qwen):
    splitter = BalancedSplitter(tokenizer=qwen)
    assert splitter.split("") == []
    assert splitter.split("no sentence end here") == [(0, 20)]
    assert splitter.split("  One.  ") == [(0, 8)]


def test_real_traces_tile_deterministically_within_the_band(qwen, trace_texts):
    splitter = BalancedSplitter(tokenizer=qwen)
    clone = pickle.loads(pickle.dumps(BalancedSplitter(tokenizer=qwen)))
    lengths = []
    for label, text in trace_texts[::10]:
        spans = check_spans(splitter.split(text), text, splitter="balanced")
        assert clone.split(text) == spans, label
        assert {s for s, _ in spans[1:]} <= set(candidates(text)), label
        lengths += [len(qwen(text[s:e], add_special_tokens=False)["input_ids"]) for s, e in spans]
    lengths.sort()
    inside = sum(1 for n in lengths if 32 <= n <= 288) / len(lengths)
    # strong cuts pull thoughts below the target (96): the median lands between K (32) and T
    assert inside > 0.95 and 48 <= lengths[len(lengths) // 2] <= 96
