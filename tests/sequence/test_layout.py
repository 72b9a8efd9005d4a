"""Exact token layouts and masks on worked examples (expected values typed by hand from LightThinker's rules)."""
from __future__ import annotations

import numpy as np
import pytest
from transformers import AutoTokenizer

from ltdata.config import BuildConfig
from ltdata.errors import RecordError
from ltdata.sequence.builder import Dropped
from ltdata.sequence.prepare import prepare_layout
from ltdata.masks import dense_mask, dense_mask_from_columns, visible_counts
from ltdata.metrics import dependency, peak_tokens
from ltdata.records import Role, Trace
from ltdata.shards.schema import IGNORE_INDEX
from ltdata.shards.writer import examples_to_batch

# The reference implementation's worked example: P0 P1 | a0 a1 S1 c1 c2 O1 | b0 S2 d1 d2 O2 | E   (n = 2)
WORKED_DEFAULT = """
1 . . . . . . . . . . . . .
1 1 . . . . . . . . . . . .
1 1 1 . . . . . . . . . . .
1 1 1 1 . . . . . . . . . .
1 1 1 1 1 . . . . . . . . .
1 1 1 1 1 1 . . . . . . . .
1 1 1 1 1 1 1 . . . . . . .
1 1 . . . 1 1 1 . . . . . .
1 1 . . . 1 1 1 1 . . . . .
1 1 . . . 1 1 1 1 1 . . . .
1 1 . . . 1 1 1 1 1 1 . . .
1 1 . . . 1 1 1 1 1 1 1 . .
1 1 . . . 1 1 1 . . 1 1 1 .
1 1 . . . 1 1 1 . . 1 1 1 1
"""


def grid(text: str) -> np.ndarray:
    return np.array([[c == "1" for c in line.split()] for line in text.strip().splitlines()])


def layouter_for(path: str, **options):
    tokenizer = AutoTokenizer.from_pretrained(path)
    cfg = BuildConfig(**{"template": "plain", "max_length": None, **options})
    return prepare_layout(tokenizer, cfg).layouter


P, A, B = [10, 11], [20, 21], [30]


@pytest.fixture
def worked(byte_tokenizer_path):
    def make(**options):
        layouter = layouter_for(byte_tokenizer_path, cache_tokens=2, **options)
        example = layouter.assemble(Trace(prompt="p", record_id="w"), [P, [], [], A, B])
        return layouter.settings.ids, example
    return make


def test_worked_example_tokens_labels_positions(worked):
    ids, ex = worked()
    S, O, (c1, c2), E = ids.splitter, ids.continue_, ids.cache, ids.eos
    assert ex.input_ids.tolist() == [10, 11, 20, 21, S, c1, c2, O, 30, S, c1, c2, O, E]
    x = IGNORE_INDEX
    assert ex.labels.tolist() == [x, x, 20, 21, S, x, x, x, 30, S, x, x, x, E]
    assert ex.position_ids.tolist() == list(range(14))
    R = Role
    assert ex.role.tolist() == [R.PROMPT] * 2 + [R.THOUGHT] * 2 + [R.SPLITTER, R.CACHE, R.CACHE, R.CONTINUE,
                                                                   R.THOUGHT, R.SPLITTER, R.CACHE, R.CACHE,
                                                                   R.CONTINUE, R.EOS]
    assert ex.thought_index.tolist() == [-1, -1, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, -1]
    assert ex.visible_until.tolist() == [14, 14, 7, 7, 7, 14, 14, 14, 12, 12, 14, 14, 14, 14]


def test_worked_example_default_mask(worked):
    _, ex = worked()
    np.testing.assert_array_equal(dense_mask_from_columns(ex.attend_from, ex.visible_until), grid(WORKED_DEFAULT))


def test_dense_mask_from_a_shard_row(worked):
    _, ex = worked()
    row = examples_to_batch([ex]).to_pylist()[0]
    np.testing.assert_array_equal(dense_mask(row), grid(WORKED_DEFAULT))


def test_see_current_changes_only_cache_rows(worked):
    _, ex = worked(see_current=True)
    expected = grid(WORKED_DEFAULT)
    expected[5] = [c == "1" for c in ". . 1 1 1 1 . . . . . . . .".split()]      # c1: a0 a1 S1 c1
    expected[6] = [c == "1" for c in ". . 1 1 1 1 1 . . . . . . .".split()]      # c2: + c1
    expected[10] = [c == "1" for c in ". . . . . . . . 1 1 1 . . .".split()]     # d1: b0 S2 d1
    expected[11] = [c == "1" for c in ". . . . . . . . 1 1 1 1 . .".split()]     # d2: + d1
    np.testing.assert_array_equal(dense_mask_from_columns(ex.attend_from, ex.visible_until), expected)


def test_exclude_continue_hides_earlier_continue_from_next_block_on(worked):
    _, ex = worked(exclude_continue=True)
    expected = grid(WORKED_DEFAULT)
    expected[12, 7] = expected[13, 7] = False                                    # O2 and E lose O1
    np.testing.assert_array_equal(dense_mask_from_columns(ex.attend_from, ex.visible_until), expected)


def test_anllm_layout_trains_the_anchor_and_hides_the_thought_after_it(byte_tokenizer_path):
    layouter = layouter_for(byte_tokenizer_path, mode="anllm")
    ids = layouter.settings.ids
    ex = layouter.assemble(Trace(prompt="p", record_id="w"), [P, [], [], A, B])
    anchor, E = ids.cache[0], ids.eos
    assert ex.input_ids.tolist() == [10, 11, 20, 21, anchor, 30, anchor, E]
    assert ex.labels.tolist() == [-100, -100, 20, 21, anchor, 30, anchor, E]
    expected = grid("""
        1 . . . . . . .
        1 1 . . . . . .
        1 1 1 . . . . .
        1 1 1 1 . . . .
        . . 1 1 1 . . .
        1 1 . . 1 1 . .
        . . . . . 1 1 .
        1 1 . . 1 . 1 1
    """)  # anchors see only their own thought (see_current is anllm's default)
    np.testing.assert_array_equal(dense_mask_from_columns(ex.attend_from, ex.visible_until), expected)


def test_vanilla_is_causal_with_the_same_text_tokens(byte_tokenizer_path):
    layouter = layouter_for(byte_tokenizer_path, mode="vanilla")
    ex = layouter.assemble(Trace(prompt="p", record_id="w"), [P, [], [], A, B])
    assert ex.input_ids.tolist() == [10, 11, 20, 21, 30, layouter.settings.ids.eos]
    np.testing.assert_array_equal(dense_mask_from_columns(ex.attend_from, ex.visible_until),
                                  np.tril(np.ones((6, 6), dtype=bool)))


def test_overlong_is_dropped_or_truncated_at_a_block_boundary(byte_tokenizer_path):
    segments = [P, [], [], A, B]
    dropped = layouter_for(byte_tokenizer_path, cache_tokens=2).assemble(Trace(prompt="p", record_id="w"), segments)
    assert len(dropped) == 14
    drop = layouter_for(byte_tokenizer_path, cache_tokens=2, max_length=13)
    assert isinstance(drop.assemble(Trace(prompt="p", record_id="w"), segments), Dropped)
    cut = layouter_for(byte_tokenizer_path, cache_tokens=2, max_length=12, overlong="truncate")
    ex = cut.assemble(Trace(prompt="p", record_id="w"), segments)
    assert ex.truncated and len(ex) == 8                       # P0 P1 a0 a1 S1 c1 c2 O1
    np.testing.assert_array_equal(dense_mask_from_columns(ex.attend_from, ex.visible_until),
                                  grid(WORKED_DEFAULT)[:8, :8])
    tiny = layouter_for(byte_tokenizer_path, cache_tokens=2, max_length=5, overlong="truncate")
    assert isinstance(tiny.assemble(Trace(prompt="p", record_id="w"), segments), Dropped)


def test_peak_and_dep_match_the_spec_formulas(byte_tokenizer_path):
    # LightThinker's peak = max over thoughts of |P| + (n+1)*earlier + |thought + splitter| + n + 1: prompt 33 + three 8-token thoughts (7 text tokens + splitter), n = 9 -> peak 71
    layouter = layouter_for(byte_tokenizer_path, cache_tokens=9)
    ex = layouter.assemble(Trace(prompt="p", record_id="w"), [[5] * 33, [], [], [6] * 7, [7] * 7, [8] * 7])
    assert peak_tokens(ex.visible_until, ex.role) == 33 + 10 * 2 + 8 + 10
    # Dep = sum over generated tokens (thought text + splitter) of |P| + 10 * earlier thoughts + position in thought
    expected = sum(33 + 10 * k + t for k in range(3) for t in range(1, 9))
    assert dependency(ex.attend_from, ex.visible_until, ex.role, ex.labels) == expected
    assert visible_counts(ex.attend_from, ex.visible_until).tolist() == \
        dense_mask_from_columns(ex.attend_from, ex.visible_until).sum(1).tolist()


def test_anllm_peak_and_dep_by_hand(byte_tokenizer_path):
    # prompt 33 + three thoughts of 7 text tokens, each followed by its trained anchor (fed alone, then the
    # thought is evicted). Peak: during the last anchor, 33 + 2 earlier anchors + 7 text + the anchor = 43.
    layouter = layouter_for(byte_tokenizer_path, mode="anllm")
    ex = layouter.assemble(Trace(prompt="p", record_id="w"), [[5] * 33, [], [], [6] * 7, [7] * 7, [8] * 7])
    assert peak_tokens(ex.visible_until, ex.role) == 43
    # Dep: text token t of thought k sees 33 + k anchors + t; an anchor (see_current) sees its 7 + itself
    expected = sum(33 + k + t for k in range(3) for t in range(1, 8)) + 3 * 8
    assert dependency(ex.attend_from, ex.visible_until, ex.role, ex.labels) == expected


def test_vanilla_dep_formula(byte_tokenizer_path):
    layouter = layouter_for(byte_tokenizer_path, mode="vanilla")
    ex = layouter.assemble(Trace(prompt="p", record_id="w"), [[5] * 33, [], [], [6] * 10, [7] * 14])
    n_out = 24
    assert dependency(ex.attend_from, ex.visible_until, ex.role, ex.labels) == 33 * n_out + n_out * (n_out + 1) // 2
    assert peak_tokens(ex.visible_until, ex.role) == 33 + n_out


# --- real tokenizers -----------------------------------------------------------------------------------

BESPOKE_LIKE = Trace(system="Think step by step.", prompt="What is 2+3?",
                     preamble="<|begin_of_thought|>\n\n",
                     reasoning="First, 2 plus 3.\n\nThat is 5, café ☕.\n\n",
                     answer="<|end_of_thought|>\n\n<|begin_of_solution|>\n\n\\boxed{5}\n\n<|end_of_solution|>",
                     record_id="r1")
SPANS = [(0, 18), (18, len(BESPOKE_LIKE.reasoning))]


def test_qwen_layout_is_the_concatenation_of_independently_tokenised_segments(qwen_tokenizer_path):
    tokenizer = AutoTokenizer.from_pretrained(qwen_tokenizer_path)
    layouter = prepare_layout(tokenizer, BuildConfig()).layouter
    (ex,) = layouter.lay_out_many([(BESPOKE_LIKE, SPANS)])
    vocab = tokenizer.get_vocab()
    enc = lambda text: tokenizer(text, add_special_tokens=False)["input_ids"]  # noqa: E731
    block = [vocab["<|splitter|>"], *[vocab[f"<|o_{i}|>"] for i in range(9)], vocab["<|continue|>"]]
    prompt = ("<|im_start|>system\nThink step by step.<|im_end|>\n<|im_start|>user\nWhat is 2+3?<|im_end|>\n"
              "<|im_start|>assistant\n")
    expected = (enc(prompt) + [vocab["<|begin_of_thought|>"]] + enc("\n\n") + enc("First, 2 plus 3.\n\n") + block
                + enc("That is 5, café ☕.\n\n") + block + enc(BESPOKE_LIKE.answer) + [vocab["<|im_end|>"]])
    assert ex.input_ids.tolist() == expected
    assert 271 in ex.input_ids.tolist() and "\n\n" not in vocab   # "\n\n" stays the ordinary BPE token
    text_rows = np.isin(ex.role, [Role.THOUGHT, Role.ANSWER])
    assert tokenizer.decode(ex.input_ids[text_rows].tolist()) == BESPOKE_LIKE.output


def test_llama_layout_has_exactly_one_bos(llama_tokenizer_path):
    tokenizer = AutoTokenizer.from_pretrained(llama_tokenizer_path)
    layouter = prepare_layout(tokenizer, BuildConfig()).layouter
    (ex,) = layouter.lay_out_many([(BESPOKE_LIKE, SPANS)])
    bos = tokenizer.get_vocab()["<|begin_of_text|>"]
    assert ex.input_ids.tolist().count(bos) == 1 and ex.input_ids[0] == bos
    assert layouter.settings.n_cache == 7
    assert ex.input_ids[-1] == tokenizer.get_vocab()["<|eot_id|>"]


def test_special_token_inside_a_thought_is_rejected(qwen_tokenizer_path):
    tokenizer = AutoTokenizer.from_pretrained(qwen_tokenizer_path)
    layouter = prepare_layout(tokenizer, BuildConfig()).layouter
    bad = Trace(prompt="q", reasoning="so <|im_end|> here\n\n", record_id="r9")
    (err,) = layouter.lay_out_many([(bad, [(0, len(bad.reasoning))])])
    assert isinstance(err, RecordError) and err.reason == "special_token_in_text"
    assert str(err) == ("<input> (id='r9'): field 'reasoning' contains the special token '<|im_end|>', "
                        "which would act as a control token at inference")
