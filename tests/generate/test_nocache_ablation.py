"""`lightthinker-nocache`: LightThinker's forced blocks, with each block's cache tokens hidden too.

From a block's <|continue|> on, its thought, splitter and cache tokens are gone, so later tokens see
only the prompt, the continue tokens and the current thought. The references: positions worked out
by hand, a plain causal forward over that physically shortened sequence (original position ids),
and LightThinker's own cache, which must be exactly n entries per closed block longer.
"""
from __future__ import annotations

import json

import pytest
import torch

from generate_support import cache_lengths, tiny_model
from ltrain.cli.main import main
from ltrain.eval.config import EvalConfig
from ltrain.generate import GenerationConfig, Generator
from ltrain.generate.methods import Feed, Hide, make_method

PROMPT = list(range(100, 133))                                    # |P| = 33
THOUGHT_TEXT = [list(range(200 + 10 * k, 207 + 10 * k)) for k in range(3)]   # 7 text tokens each
ANSWER = [300, 301]


def output(built) -> list[int]:
    """Three thoughts of 7 text tokens + the splitter, then a 2-token answer and EOS."""
    return [t for text in THOUGHT_TEXT for t in (*text, built.ids.splitter)] + ANSWER + [built.ids.eos]


@pytest.mark.parametrize("see_current,cache_lo", [(False, 0), (True, 15)])
def test_the_feed_and_hide_of_a_small_example(builds, see_current, cache_lo):
    ids = builds["lightthinker"].ids                               # 9 cache tokens
    method = make_method("lightthinker-nocache", ids, see_current=see_current)
    # the current thought began at 15; the model emits the splitter at 20: the block is 20..30, continue at 30
    assert method.feed(ids.splitter, 20, 15) == Feed(
        tokens=(ids.splitter, *ids.cache, ids.continue_), lo=(0, *[cache_lo] * 9, 0),
        generated=(True, *[False] * 10), hide=Hide(first=15, last=29, from_pos=30), compress=True)
    assert method.feed(205, 12, 10) == Feed(tokens=(205,), lo=(0,), generated=(True,))


def test_logits_equal_a_forward_over_the_shortened_sequence(builds):
    built = builds["lightthinker"]
    model = tiny_model("qwen2", len(built.tokenizer))
    forced = Generator(model, built.tokenizer, built.ids,
                       GenerationConfig(method="lightthinker-nocache")).teacher_force(PROMPT, output(built))
    sequence, n = forced.sequence, len(built.ids.cache)
    splitters = [i for i, t in enumerate(sequence) if t == built.ids.splitter]
    continues = [s + n + 1 for s in splitters]
    assert [sequence[c] for c in continues] == [built.ids.continue_] * 3
    prompt = list(range(len(PROMPT)))
    segments = [(start, continue_) for start, continue_ in zip([len(PROMPT)] + [c + 1 for c in continues], continues)]
    checked = []
    for k, (start, end) in enumerate(segments + [(continues[-1] + 1, len(sequence))]):
        # thought k, its splitter and its cache rows (or the answer) see the prompt, the earlier continues
        # and the thought so far; continue k sees the prompt and the continues up to itself
        views = [(prompt + continues[:k], list(range(start, end)))]
        if k < len(continues):
            views.append((prompt + continues[:k], [continues[k]]))
        for kept, rows in views:
            reference = causal_forward(model, [sequence[p] for p in kept + rows], kept + rows)[len(kept):]
            assert (forced.logits[rows] - reference).abs().max().item() <= 1e-5
            checked += rows
    assert sorted(checked) == list(range(len(PROMPT), len(sequence)))   # every fed row after the prompt


def causal_forward(model, ids: list[int], positions: list[int]) -> torch.Tensor:
    """A plain causal pass over `ids` at the original `positions` (an explicit mask: the ids jump)."""
    size = len(ids)
    causal = torch.ones(size, size, dtype=torch.bool).tril()
    additive = torch.zeros(size, size).masked_fill(~causal, torch.finfo(torch.float32).min)
    with torch.no_grad():
        return model(input_ids=torch.tensor([ids]), position_ids=torch.tensor([positions]),
                     attention_mask=additive[None, None]).logits[0]


def test_the_kept_cache_is_n_shorter_per_closed_block_and_the_metrics(builds):
    built = builds["lightthinker"]
    n = len(built.ids.cache)
    model = tiny_model("qwen2", len(built.tokenizer))
    runs = {}
    for method in ("lightthinker", "lightthinker-nocache"):
        seen, handle = cache_lengths(model)
        forced = Generator(model, built.tokenizer, built.ids, GenerationConfig(method=method)).teacher_force(
            PROMPT, output(built))
        handle.remove()
        runs[method] = seen, forced
    (full, lt), (short, nocache) = runs["lightthinker"], runs["lightthinker-nocache"]
    assert lt.sequence == nocache.sequence and [p for p, _ in full] == [p for p, _ in short]
    continues = [i for i, t in enumerate(lt.sequence) if t == built.ids.continue_]
    for (position, lengths), (_, shorter) in zip(full, short):
        closed = sum(c < position for c in continues)
        assert shorter == [lengths[0] - n * closed] * len(lengths)
    # worked by hand: peak at the third block = 33 + 2 continues + 8 thought tokens + 9 cache + 1 continue;
    # thought k's 8 tokens see 33 + k kept entries + their own prefix; the answer sees 33 + 3 + its prefix
    stats = nocache.generation.stats
    assert (stats.peak_tokens, stats.dep, stats.compressions) == (53, 999, 3)
    assert sum(8 * (33 + k) + 36 for k in range(3)) + 37 + 38 == 999


def test_the_method_is_a_choice_of_generate_and_eval(builds, tmp_path):
    built = builds["lightthinker"]
    tiny_model("llama", len(built.tokenizer), seed=5).save_pretrained(tmp_path)
    built.tokenizer.save_pretrained(tmp_path)
    meta = {"special_tokens": built.manifest["special_tokens"], "mode": "lightthinker", "template": "plain"}
    (tmp_path / "ltrain.json").write_text(json.dumps(meta))
    out = tmp_path / "out.jsonl"
    assert main(["generate", "--model", str(tmp_path), "--prompt", "Is 91 prime?", "--method", "lightthinker-nocache",
                 "--max-new-tokens", "4", "--out", str(out)]) == 0
    assert json.loads(out.read_text())["method"] == "lightthinker-nocache"
    config = EvalConfig(model=str(tmp_path), generation=GenerationConfig(method="lightthinker-nocache"))
    assert config.decoding()["method"] == "lightthinker-nocache"
