"""Stage orders, ratios, filters, budgets and rank slices, checked exactly on small frames."""
from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from ltdata.curriculum.plan import plan_stage, select
from ltdata.curriculum.recipe import SourceSpec, StageSpec
from ltdata.errors import ConfigError


def frame(tokens: list[int], thoughts: list[int] | None = None, sources: list[str] | None = None) -> pl.DataFrame:
    n = len(tokens)
    return pl.DataFrame({"row": np.arange(n, dtype=np.uint32), "record_id": [f"r{i}" for i in range(n)],
                         "source": sources or [f"f.jsonl:{i + 1}" for i in range(n)],
                         "num_tokens": tokens, "num_thoughts": thoughts or [1] * n, "truncated": [False] * n})


def stage(*weights: float | None, **options) -> StageSpec:
    return StageSpec(name="s", sources=[SourceSpec(shards="x", weight=w) for w in weights], **options)


def plan(spec: StageSpec, frames: list[pl.DataFrame], seed: int = 0):
    return plan_stage(spec, 0, [f"d{i}" for i in range(len(frames))], frames, seed=seed)


def pairs(p) -> list[tuple[int, int]]:
    return list(zip(p.source.tolist(), p.row.tolist()))


def test_weighted_interleave_is_exact_and_even():
    # positions (k + 1/2) / share: A (share 2/3) at .75 2.25 3.75 5.25 6.75 8.25, B (1/3) at 1.5 4.5 7.5
    p = plan(stage(2, 1, order="as_is"), [frame([10] * 6), frame([20] * 3)])
    assert pairs(p) == [(0, 0), (1, 0), (0, 1), (0, 2), (1, 1), (0, 3), (0, 4), (1, 2), (0, 5)]
    assert p.tokens == 6 * 10 + 3 * 20


def test_weights_beyond_a_source_size_cycle_it():
    # equal shares over 4 + 2 rows, 6 samples: ties at every position go to the first source
    p = plan(stage(0.5, 0.5, order="as_is"), [frame([1] * 4), frame([2] * 2)])
    assert pairs(p) == [(0, 0), (1, 0), (0, 1), (1, 1), (0, 2), (1, 0)]


def test_without_weights_every_source_appears_epochs_times():
    p = plan(stage(None, None, order="as_is", epochs=2), [frame([1] * 3), frame([1] * 2)])
    assert sorted(pairs(p)) == sorted([(0, r) for r in range(3)] * 2 + [(1, r) for r in range(2)] * 2)


def test_shuffle_is_a_permutation_per_pass_and_depends_only_on_the_seed():
    frames = [frame(list(range(1, 8)))]
    first = plan(stage(None, order="shuffle", epochs=2), frames, seed=3)
    rows = first.row.tolist()
    assert sorted(rows[:7]) == sorted(rows[7:]) == list(range(7))
    assert rows[:7] != rows[7:] and rows[:7] != list(range(7))
    assert first.row.tolist() == plan(stage(None, order="shuffle", epochs=2), frames, seed=3).row.tolist()
    assert first.row.tolist() != plan(stage(None, order="shuffle", epochs=2), frames, seed=4).row.tolist()


def test_sort_short_to_long_across_sources_is_stable():
    p = plan(stage(None, None, order="sort"), [frame([30, 10, 20]), frame([20, 5])])
    assert p.num_tokens.tolist() == [5, 10, 20, 20, 30]
    # schedule A0 .83, B0 1.25, A1 2.5, B1 3.75, A2 4.17: the two 20-token rows keep it (B0 before A2)
    assert pairs(p) == [(1, 1), (0, 1), (1, 0), (0, 2), (0, 0)]


def test_sort_by_thoughts_descending():
    p = plan(stage(None, order="sort", sort_by="num_thoughts", descending=True),
             [frame([5, 6, 7, 8], thoughts=[2, 9, 2, 4])])
    assert p.row.tolist() == [1, 3, 0, 2]


def test_token_budget_takes_the_shortest_prefix_that_reaches_it():
    p = plan(stage(None, order="as_is", tokens=25), [frame([10, 10, 10, 10])])
    assert p.num_tokens.tolist() == [10, 10, 10]
    q = plan(stage(None, order="as_is", tokens=100), [frame([10, 20])])
    assert q.row.tolist() == [0, 1, 0, 1, 0, 1, 0] and q.tokens == 100


def test_filters_select_rows_by_range_and_regex():
    f = frame([100, 5000, 300, 4000], thoughts=[1, 4, 2, 8],
              sources=["a/amc23.jsonl:1", "a/aime24.jsonl:2", "a/amc23.jsonl:3", "a/math500.jsonl:4"])
    kept = select(f, {"num_tokens": {"max": 4096}, "num_thoughts": {"min": 2}})
    assert kept["row"].to_list() == [2, 3]
    assert select(f, {"source": {"matches": "amc23"}})["row"].to_list() == [0, 2]


def test_a_source_with_nothing_selected_is_named():
    with pytest.raises(ConfigError, match=r"stages\[0\] \(s\): no row of d1 passes its filters"):
        plan(stage(None, None), [frame([1]), frame([])])


def test_rank_slices_partition_the_order_and_resume_continues_it():
    p = plan(stage(None, order="shuffle", epochs=3), [frame(list(range(1, 12)))], seed=5)
    ranks = [p.for_rank(r, 3) for r in range(3)]
    merged = np.empty(len(p), dtype=np.int64)
    for r, part in enumerate(ranks):
        merged[r::3] = part.row
    assert merged.tolist() == p.row.tolist()
    resumed = p.for_rank(1, 3, start=12)
    assert resumed.row.tolist() == p.row.tolist()[13::3]
    with pytest.raises(ConfigError):
        p.for_rank(3, 3)
