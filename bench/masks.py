"""Benchmark feeding a trainer: mask construction, metadata memory, padding with/without packing, step time.

Each figure is measured against its baseline in the same run:
- the [B, 1, L, L] bf16 mask of a batch (B=8, L=4096, 40 thoughts each) by `ltdata.masks.additive_mask`
  vs the reference's construction (the LightThinker reference: a numpy bool L x L per sample, one slice update per
  block, bf16 through two `torch.where` index lookups), checked equal;
- host memory per sample of the mask metadata vs the dense masks it replaces;
- padding fraction of batches of 8 on the lengths of the real Sky-T1 traces (Qwen tokenizer, 11
  tokens per blank-line thought, dropped over 4096 as `ltdata build` does): random, length-bucketed,
  packed into 4096-token rows;
- a CPU training step (4 layers, hidden 256, vocab 32000, L=2048, fp32, sdpa) with the collated
  LightThinker mask vs plain causal (no mask), and the attention kernel alone; CPU time, median of
  5 interleaved steps (on one thread, CPU time does not grow when other jobs take the core).

    .venv/bin/python -m bench.masks             # ~3 minutes, one torch thread for both sides
    .venv/bin/python -m bench.masks --quick     # a smoke run (seconds; figures not meaningful)
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
from pathlib import Path

import numpy as np  # noqa: E402
import torch  # noqa: E402

from bench.report import Figure, Stopwatch, print_table  # noqa: E402

TRACES = Path(__file__).resolve().parents[1] / "data" / "traces" / "skythought_sky-t1_eval_outputs"
BLOCK_EXTRA = 11          # splitter + 9 cache tokens + continue (Qwen-family default)


def synthetic_batch(rng, batch: int, length: int, thoughts: int, n_cache: int = 9):
    """Columns of `batch` full-length samples laid out like a build: prompt, thought blocks, answer, eos."""
    attend_from = np.zeros((batch, length), dtype=np.int32)
    visible_until = np.full((batch, length), length, dtype=np.int32)
    blocks = []
    for b in range(batch):
        prompt, answer = int(rng.integers(length // 40, length // 14)), int(rng.integers(length // 80, length // 27))
        text = length - prompt - answer - 1 - thoughts * (n_cache + 2)
        sizes = rng.multinomial(text - thoughts, np.ones(thoughts) / thoughts) + 1
        at, mine = prompt, []
        for size in sizes:
            hidden_end, cont = at + size + 1, at + size + 1 + n_cache
            visible_until[b, at:hidden_end] = cont
            mine.append((at, hidden_end, cont))
            at = cont + 1
        blocks.append(mine)
    return torch.from_numpy(attend_from), torch.from_numpy(visible_until), torch.full((batch,), length), blocks


def reference_style_masks(blocks, length: int) -> torch.Tensor:
    """As the LightThinker reference does it: per sample a numpy bool matrix, per-block updates, bf16 via two where-index lookups."""
    out = []
    minimum = torch.finfo(torch.bfloat16).min
    for sample in blocks:
        mask = np.tril(np.ones((length, length), dtype=bool))
        for start, hidden_end, cont in sample:
            mask[cont:, start:hidden_end] = False
        allowed = torch.from_numpy(mask)
        dense = torch.zeros(length, length, dtype=torch.bfloat16)
        dense[torch.where(allowed)] = 0.0
        dense[torch.where(~allowed)] = minimum
        out.append(dense)
    return torch.stack(out)[:, None]


def bench_masks(batch: int, length: int, thoughts: int, repeats: int) -> list[Figure]:
    from ltdata.masks import additive_mask, bool_mask

    af, vu, lengths, blocks = synthetic_batch(np.random.default_rng(0), batch, length, thoughts)
    with Stopwatch() as ref_clock:
        reference = reference_style_masks(blocks, length)
    same = torch.equal(additive_mask(af, vu, lengths, dtype=torch.bfloat16), reference)
    del reference
    timings = {"additive": [], "bool": []}
    for _ in range(repeats):
        for kind, build in (("additive", lambda: additive_mask(af, vu, lengths, dtype=torch.bfloat16)),
                            ("bool", lambda: bool_mask(af, vu, lengths))):
            with Stopwatch() as clock:
                build()
            timings[kind].append(clock.timing.wall)
    best = min(timings["additive"])
    shape = f"B={batch}, L={length}, {thoughts} thoughts"
    return [Figure(f"mask per batch, reference-style ({shape})", f"{ref_clock.timing.wall * 1e3:.0f} ms", "", None),
            Figure(f"mask per batch, ltdata additive bf16 (best of {repeats})", f"{best * 1e3:.0f} ms", "", None),
            Figure(f"mask per batch, ltdata bool (best of {repeats})", f"{min(timings['bool']) * 1e3:.0f} ms", "",
                   None),
            Figure("mask speed-up vs reference-style", f"{ref_clock.timing.wall / best:.0f}x", ">= 50x",
                   ref_clock.timing.wall / best >= 50),
            Figure("ltdata mask equals reference-style mask", str(same), "True", same)]


def bench_memory(length: int) -> list[Figure]:
    metadata = 2 * 4 * length                              # attend_from + visible_until, int32
    row = (4 * 5 + 1 + 2) * length                         # every per-token column of a shard row
    return [Figure(f"mask metadata per sample (L={length})", f"{metadata / 1024:.0f} KiB", "O(L)", True),
            Figure("whole shard row per sample", f"{row / 1024:.0f} KiB", "", None),
            Figure("dense bool / bf16 mask per sample (reference)",
                   f"{length * length / 2**20:.0f} / {2 * length * length / 2**20:.0f} MiB", "", None),
            Figure("metadata vs dense bf16 mask", f"1/{2 * length * length // metadata}", "", None)]


def trace_lengths(max_length: int, limit: int | None) -> np.ndarray:
    """Laid-out lengths of the real Sky-T1 traces: prompt + generation tokens + 11 per blank-line thought."""
    from ltdata.pipeline.tokenizer import load_tokenizer

    tokenizer = load_tokenizer(None)                       # the bundled Qwen-vocabulary tokenizer
    records = [json.loads(line) for path in sorted(TRACES.glob("*.jsonl")) for line in path.open(encoding="utf-8")]
    texts = [(r["question"], r["code"][0]) for r in records[:limit]]
    tokens = [len(x) for x in tokenizer([q + a for q, a in texts], add_special_tokens=False)["input_ids"]]
    lengths = np.array([t + 30 + BLOCK_EXTRA * a.count("\n\n") for t, (_, a) in zip(tokens, texts)])
    return lengths[lengths <= max_length]


def bench_padding(max_length: int, limit: int | None) -> list[Figure]:
    from ltdata.loading import LengthBucketSampler, padding_fraction, plan_packs

    lengths = trace_lengths(max_length, limit)
    rng = np.random.default_rng(0)
    shuffled = lengths[rng.permutation(len(lengths))]
    random_batches = [shuffled[k:k + 8] for k in range(0, len(shuffled), 8)]
    bucketed = [lengths[b] for b in LengthBucketSampler(lengths, batch_size=8, seed=0).batches()]
    packs = np.array([lengths[p].sum() for p in plan_packs(lengths, max_length)])
    packed = [packs[b] for b in LengthBucketSampler(packs, batch_size=8, seed=0).batches()]
    fractions = [padding_fraction(b) for b in (random_batches, bucketed, packed)]
    described = (f"{len(lengths)} Sky-T1 traces <= {max_length} tokens, median {int(np.median(lengths))}")
    return [Figure(f"padding, random batches of 8 ({described})", f"{fractions[0]:.1%}", "", None),
            Figure("padding, length-bucketed batches of 8", f"{fractions[1]:.1%}", "", None),
            Figure(f"padding, packed into {max_length}-token rows ({len(packs)} rows), batches of 8",
                   f"{fractions[2]:.1%}", "< 5%", fractions[2] < 0.05)]


def _attention_only(length: int, heads: int, dim: int, mask: torch.Tensor, repeats: int) -> tuple[float, float]:
    q, k, v = (torch.randn(1, heads, length, dim, requires_grad=True) for _ in range(3))
    out = {}
    for kind in ("causal", "masked") * repeats:
        with Stopwatch() as clock:
            y = torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask if kind == "masked" else None,
                                                                 is_causal=kind == "causal")
            y.sum().backward()
        out.setdefault(kind, []).append(clock.timing.cpu)
    return statistics.median(out["causal"]), statistics.median(out["masked"])


def bench_train_step(length: int, layers: int, hidden: int, repeats: int) -> list[Figure]:
    from transformers import Qwen2Config, Qwen2ForCausalLM

    from ltdata.loading import Collator

    af, vu, lengths, _ = synthetic_batch(np.random.default_rng(1), 1, length, max(1, length // 100))
    rng = np.random.default_rng(2)
    row = {"input_ids": rng.integers(0, 32000, length), "labels": rng.integers(0, 32000, length),
           "position_ids": np.arange(length), "attend_from": af[0].numpy(), "visible_until": vu[0].numpy()}
    config = Qwen2Config(vocab_size=32000, hidden_size=hidden, intermediate_size=4 * hidden, num_hidden_layers=layers,
                         num_attention_heads=hidden // 64, num_key_value_heads=hidden // 64,
                         max_position_embeddings=length)
    torch.manual_seed(0)
    model = Qwen2ForCausalLM._from_config(config, attn_implementation="sdpa")
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-5)
    collators = {"causal": Collator(0, mask="none", count_labels=False), "masked": Collator(0, count_labels=False)}
    times: dict[str, list[float]] = {}
    for step, kind in enumerate(("causal", "masked") * (repeats + 1)):
        with Stopwatch() as clock:
            batch = collators[kind]([row])
            model(**batch).loss.backward()
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
        if step >= 2:                                   # the first pair warms up
            times.setdefault(kind, []).append(clock.timing.cpu)
    causal, masked = statistics.median(times["causal"]), statistics.median(times["masked"])
    mask = Collator(0)([row])["attention_mask"]
    attn_causal, attn_masked = _attention_only(length, hidden // 64, 64, mask, repeats)
    return [Figure(f"train step CPU time, plain causal ({layers} layers, hidden {hidden}, L={length})",
                   f"{causal:.2f} s", "", None),
            Figure("train step CPU time, LightThinker mask (collate + fwd + bwd + AdamW)", f"{masked:.2f} s", "",
                   None),
            Figure("train step overhead, mask / causal", f"{masked / causal:.3f}x", "<= 1.15x",
                   masked / causal <= 1.15),
            Figure("attention alone fwd+bwd per layer (CPU time), mask / causal",
                   f"{attn_masked * 1e3:.0f} / {attn_causal * 1e3:.0f} ms = {attn_masked / attn_causal:.2f}x", "",
                   None)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark masks, packing and the training step")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for a smoke run")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads for both sides (1: the cores are shared, so one is the fair unit)")
    args = parser.parse_args(argv)
    quick = args.quick
    torch.set_num_threads(args.threads)
    load = os.getloadavg()
    print(f"ltdata masks benchmark: torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (1/5/15 min)")
    figures = bench_masks(batch=2 if quick else 8, length=512 if quick else 4096, thoughts=8 if quick else 40,
                          repeats=2 if quick else 3)
    figures += bench_memory(4096)
    figures += bench_padding(4096, 40 if quick else None)
    figures += bench_train_step(length=256 if quick else 2048, layers=2 if quick else 4, hidden=128 if quick else 256,
                                repeats=1 if quick else 5)
    print_table(figures)
    load = os.getloadavg()
    print(f"load average at the end {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
