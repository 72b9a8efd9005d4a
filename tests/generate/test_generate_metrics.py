"""Peak KV, Dep and seconds measured by the loop: against hand-computed worked examples, a slow simulation,
ltdata, and the wall clock.

Conventions (LightThinker's peak-token and Dependency definitions, `ltdata.metrics`): peak counts the cache right after a feed is appended and
before eviction; Dep sums, over emitted tokens that are fed back, the entries each one attends to,
itself included (the final EOS is never fed).
"""
from __future__ import annotations

import time

import numpy as np
import pytest

from generate_support import emitted, tiny_model
from ltdata.metrics import dependency, peak_tokens
from ltdata.records import Role
from ltrain.generate import GenerationConfig, Generator
from ltrain.generate.loop import decode
from ltrain.generate.methods import make_method
from ltrain.generate.sampling import TeacherForcing

PROMPT = list(range(100, 133))                                    # |P| = 33
THOUGHT_TEXT = [list(range(200 + 10 * k, 207 + 10 * k)) for k in range(3)]   # 7 text tokens each
ANSWER = [300, 301]


def worked_output(closing: int, eos: int) -> list[int]:
    """Three 8-token thoughts (7 text tokens + `closing`: the splitter, or the AnLLM anchor), 2 answer tokens."""
    return [t for text in THOUGHT_TEXT for t in (*text, closing)] + ANSWER + [eos]


def force(built, method: str, prompt, output, **config):
    model = tiny_model("qwen2", len(built.tokenizer), "eager" if method == "h2o" else "sdpa")
    return Generator(model, built.tokenizer, built.ids,
                     GenerationConfig(method=method, **config)).teacher_force(prompt, output).generation


def test_spec_worked_example_lightthinker_peak_71(builds):
    built = builds["lightthinker"]
    out = force(built, "lightthinker", PROMPT, worked_output(built.ids.splitter, built.ids.eos))
    # peak: the third block: 33 + 2 * (9 + 1) kept + 8 thought tokens + 9 cache + 1 continue
    # Dep: thought k's 8 tokens see 33 + 10k kept entries + their own prefix; the answer sees 63 + prefix
    dep = sum(8 * (33 + 10 * k) + 36 for k in range(3)) + (63 + 1) + (63 + 2)
    assert (out.stats.peak_tokens, out.stats.dep, out.stats.compressions, out.stats.output_tokens) == (71, 1269, 3, 27)
    assert dep == 1269 and out.finished


def test_worked_example_vanilla_keeps_everything(builds):
    built = builds["lightthinker"]
    out = force(built, "vanilla", PROMPT, worked_output(built.ids.splitter, built.ids.eos))
    fed = 26                                                       # 27 emitted, EOS never fed
    expected = (33 + fed, 33 * fed + fed * (fed + 1) // 2, 0)
    assert (out.stats.peak_tokens, out.stats.dep, out.stats.compressions) == expected
    assert out.stats.dep == 1209


@pytest.mark.parametrize("see_current,dep", [(True, 897), (False, 999)])
def test_worked_example_anllm(builds, see_current, dep):
    built = builds["anllm"]
    out = force(built, "anllm", PROMPT, worked_output(built.ids.cache[0], built.ids.eos), see_current=see_current)
    # thought k (k anchors kept): 7 tokens see 33 + k + prefix; the anchor sees its 7 tokens + itself
    # (see_current) or everything kept + its thought + itself; the answer sees 33 + 3 + prefix
    anchors = 3 * 8 if see_current else (41 + 42 + 43)
    assert sum(7 * (33 + k) + 28 for k in range(3)) + anchors + 37 + 38 == dep
    assert (out.stats.peak_tokens, out.stats.dep, out.stats.compressions) == (43, dep, 3)


def test_h2o_short_output_never_goes_negative(builds):
    """|P| + |O| < C: the reference formula gives a negative Dep; the measured one is vanilla's."""
    built = builds["vanilla"]
    prompt, output, budget = PROMPT[:10], list(range(200, 220)), 64
    reference_formula = (budget + 10) * (budget - 10 - 1) / 2 + (20 + 10 - budget) * budget
    assert reference_formula == -215
    out = force(built, "h2o", prompt, output, kv_budget=budget)
    assert (out.stats.peak_tokens, out.stats.dep) == (30, sum(10 + t for t in range(1, 21)))
    assert out.stats.dep == 410 and not out.finished


def test_h2o_budget_caps_every_query(builds):
    built = builds["vanilla"]
    out = force(built, "h2o", PROMPT[:10], list(range(200, 220)), kv_budget=16, kv_recent=8)
    assert (out.stats.peak_tokens, out.stats.dep) == (16, sum(min(10 + t, 16) for t in range(1, 21)))
    assert out.stats.dep == 305
    long_prompt = force(built, "h2o", PROMPT[:20], list(range(200, 205)), kv_budget=16)
    assert (long_prompt.stats.peak_tokens, long_prompt.stats.dep) == (20, 5 * 16)   # the prefill is whole


def simulate(row: dict, mode: str, n_cache: int, see_current: bool) -> tuple[int, int]:
    """Slow obvious reference from the roles alone: a list of cached positions, fed as inference feeds."""
    role, thought = np.asarray(row["role"]), np.asarray(row["thought_index"])
    i = int((role == Role.PROMPT).sum())
    cache, peak, dep = list(range(i)), i, 0
    while i < len(role) and role[i] != Role.EOS:
        k = thought[i]
        if mode == "lightthinker" and role[i] == Role.SPLITTER:
            dep += len(cache) + 1
            cache += range(i, i + n_cache + 2)
            peak = max(peak, len(cache))
            cache = [j for j in cache if not (thought[j] == k and role[j] in (Role.THOUGHT, Role.SPLITTER))]
            i += n_cache + 2
            continue
        if mode == "anllm" and role[i] == Role.CACHE:
            own = int(np.count_nonzero((thought == k) & (role == Role.THOUGHT)))
            dep += own + 1 if see_current else len(cache) + 1
            cache.append(i)
            peak = max(peak, len(cache))
            cache = [j for j in cache if not (thought[j] == k and role[j] == Role.THOUGHT)]
        else:
            dep += len(cache) + 1
            cache.append(i)
            peak = max(peak, len(cache))
        i += 1
    return peak, dep


@pytest.mark.parametrize("build_name,mode", [("lightthinker", "lightthinker"), ("see_current", "lightthinker"),
                                             ("vanilla", "vanilla"), ("anllm", "anllm")])
def test_measured_metrics_of_shard_rows_match_the_simulation(builds, build_name, mode):
    built = builds[build_name]
    model = tiny_model("qwen2", len(built.tokenizer))
    config = GenerationConfig(method=mode, see_current=built.see_current)
    generator = Generator(model, built.tokenizer, built.ids, config)
    for row in built.rows:
        stats = generator.teacher_force(*emitted(row, mode)).generation.stats
        assert (stats.peak_tokens, stats.dep) == simulate(row, mode, len(built.ids.cache), built.see_current)
        columns = row["attend_from"], row["visible_until"], row["role"], row["labels"]
        assert (stats.peak_tokens, stats.dep) == (peak_tokens(row["visible_until"], row["role"]),
                                                  dependency(*columns))


def test_vanilla_generation_dep_follows_the_closed_form(builds):
    built = builds["vanilla"]
    model = tiny_model("llama", len(built.tokenizer), seed=3)
    prompt = PROMPT[:12]
    (out,) = Generator(model, built.tokenizer, built.ids, GenerationConfig(method="vanilla", max_new_tokens=15)
                       ).generate([prompt])
    fed = len(out.output_ids) - int(out.finished)
    assert out.stats.peak_tokens == 12 + fed
    assert out.stats.dep == 12 * fed + fed * (fed + 1) // 2


def test_batched_seconds_add_up_to_the_wall_time(builds):
    """Each step's time is shared by the rows in it: a batch's seconds sum to its wall time, not 4x it."""
    built = builds["vanilla"]
    model = tiny_model("qwen2", len(built.tokenizer))
    generator = Generator(model, built.tokenizer, built.ids,
                          GenerationConfig(method="vanilla", max_new_tokens=24, batch_size=4))
    prompts = [PROMPT[:5 + 3 * k] for k in range(8)]
    started = time.perf_counter()
    outputs = generator.generate(prompts)                         # two batches of 4
    wall = time.perf_counter() - started
    total = sum(o.stats.seconds for o in outputs)
    assert 0.85 * wall <= total <= wall

    eos = built.ids.eos                                            # one row stops after 2 steps, one runs 20
    started = time.perf_counter()
    short, long = decode(model, [PROMPT[:5], PROMPT[:9]], make_method("vanilla", built.ids, see_current=None),
                         TeacherForcing([[200, eos], list(range(200, 220))]), max_new_tokens=20, eos_id=eos)
    wall = time.perf_counter() - started
    assert 0.85 * wall <= short.stats.seconds + long.stats.seconds <= wall
    assert short.stats.seconds < long.stats.seconds / 3
