"""`ltdata inspect`'s view: exact plain text of the worked example, its mask at every size, row lookup, PNG."""
from __future__ import annotations

import re

import numpy as np
import pyarrow.ipc as ipc
import pytest

from ltdata.errors import ConfigError, LtdataError
from ltdata.masks import dense_mask_from_columns
from ltdata.records import Role, Trace
from ltdata.views.explain import draw_mask, explain, find_example, mask_fractions, mask_png

# The reference implementation's worked example (its mask function run with n = 2): P0 P1 | a0 a1 S1 c1 c2 O1 | b0 S2 d1 d2 O2 | E, with P = "Q:", a = "ab", b = "c".
# Mask rows end in '|' so that their trailing blanks survive editors; the marker is removed before comparing.
WORKED_PLAIN = """\
record w   source -
14 tokens   2 thoughts   truncated no
                 this sample     vanilla   ratio
peak KV tokens            10           5    2.00
Dep                       25          12    2.08
(vanilla: the same prompt, thought and answer tokens with a causal mask)

Q:ab⟦S⟧⟦o×2⟧⟦C⟧c⟦S⟧⟦o×2⟧⟦C⟧<|endoftext|>

legend: prompt  thoughts 1,3,…  thoughts 2,4,…  ⟦S⟧ splitter  ⟦o×n⟧ n cache tokens  ⟦C⟧ continue  answer  eos

mask 14 x 14, 1 cell = 1 x 1 tokens; row = query, column = key; '█' all visible, '▓' '▒' '░' partly, ' ' none
  PPTTSooCTSooCE
P █             |
P ██            |
T ███           |
T ████          |
S █████         |
o ██████        |
o ███████       |
C ██   ███      |
T ██   ████     |
S ██   █████    |
o ██   ██████   |
o ██   ███████  |
C ██   ███  ███ |
E ██   ███  ████|
edges: P prompt, T thought, S splitter, o cache, C continue, A answer, E eos
""".replace("|\n", "\n")

# Seven 2 x 2 cells: the fraction visible is 0, (0, 1/3), [1/3, 2/3), [2/3, 1) or 1.
WORKED_7 = """\
  PTSoToC
P ▓      |
T █▓     |
S ██▓    |
o █▒▓▓   |
T █ ▒█▓  |
o █ ▒██▓ |
C █ ▒█ █▓|
""".replace("|\n", "\n")

ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture(scope="module")
def worked(layout):
    tokenizer, prepared = layout
    chars = lambda text: tokenizer.convert_tokens_to_ids(list(text))  # noqa: E731
    example = prepared.layouter.assemble(Trace(prompt="Q:", record_id="w"),
                                         [chars("Q:"), [], [], chars("ab"), chars("c")])
    return example, tokenizer


def test_plain_explain_of_the_worked_example(worked):
    example, tokenizer = worked
    assert explain(example, tokenizer, color=False) == WORKED_PLAIN


def test_colour_only_adds_escape_codes(worked):
    example, tokenizer = worked
    coloured = explain(example, tokenizer)
    assert "\x1b[2mQ:\x1b[0m" in coloured and "\x1b[35m<|endoftext|>\x1b[0m" in coloured
    assert "ab\x1b[1;33m⟦S⟧\x1b[0m" in coloured and "\x1b[36mc\x1b[0m" in coloured   # thoughts alternate
    assert ANSI.sub("", coloured) == WORKED_PLAIN


def test_text_wraps_at_width_without_splitting_tags(worked):
    example, tokenizer = worked
    lines = explain(example, tokenizer, color=False, width=6).split("\n")
    text = lines[lines.index("") + 1:lines.index("", lines.index("") + 1)]
    assert text == ["Q:ab", "⟦S⟧", "⟦o×2⟧", "⟦C⟧c", "⟦S⟧", "⟦o×2⟧",
                    "⟦C⟧<|e", "ndofte", "xt|>"]


@pytest.mark.parametrize("size", [14, 48])
def test_mask_drawing_at_full_size_is_the_exact_mask(worked, size):
    example, _ = worked
    rows = draw_mask(example, size=size, color=False)[2:16]
    dense = dense_mask_from_columns(example.attend_from, example.visible_until)
    assert [row[2:] for row in rows] == ["".join("█" if v else " " for v in line) for line in dense]
    assert [row[0] for row in rows] == list("PPTTSooCTSooCE")


def test_mask_drawing_downsampled_by_hand(worked):
    example, _ = worked
    assert "\n".join(draw_mask(example, size=7, color=False)[1:9]) + "\n" == WORKED_7


def test_blockwise_fractions_equal_block_means_of_the_dense_mask(build_dir):
    example, _ = find_example(build_dir, "count-1")
    dense = dense_mask_from_columns(example.attend_from, example.visible_until)
    length = len(example)
    for cells in (5, 7, length, 500):
        count = min(cells, length)
        edges = [r * length // count for r in range(count + 1)]
        expected = [[dense[edges[r]:edges[r + 1], edges[c]:edges[c + 1]].mean() for c in range(count)]
                    for r in range(count)]
        np.testing.assert_allclose(mask_fractions(example.attend_from, example.visible_until, cells), expected)


def test_find_example_rebuilds_the_shard_row(build_dir):
    example, tokenizer = find_example(build_dir, "spell-1")
    (row,) = [r for r in ipc.open_file(str(build_dir / "shard-00001.arrow")).read_all().to_pylist()
              if r["record_id"] == "spell-1"]
    for name in ("input_ids", "labels", "position_ids", "attend_from", "visible_until", "role", "thought_index"):
        assert getattr(example, name).tolist() == row[name], name
    assert example.truncated and example.num_thoughts == 2 and example.source == row["source"]
    assert tokenizer.convert_ids_to_tokens(int(example.input_ids[example.role == Role.SPLITTER][0])) == "<|splitter|>"
    thought = tokenizer.decode(example.input_ids[example.role == Role.THOUGHT].tolist())
    assert thought == "C, then\n\nA, then T.\n\n" and Role.EOS not in example.role   # cut before the answer


def test_unknown_record_names_the_directory_and_suggests_ids(build_dir):
    with pytest.raises(LtdataError) as caught:
        find_example(build_dir, "sum-2")
    assert str(caught.value) == f"{build_dir}: no record with id 'sum-2'; did you mean 'sum-1'?"


def test_sizes_must_be_positive(worked):
    example, tokenizer = worked
    with pytest.raises(ConfigError, match="mask_size: must be a positive integer, got 0"):
        explain(example, tokenizer, mask_size=0)


def test_mask_png_is_a_png(worked, tmp_path):
    example, _ = worked
    mask_png(example, tmp_path / "mask.png")
    data = (tmp_path / "mask.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 1000
