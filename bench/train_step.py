"""Training-step throughput: the LightThinker mask vs a causal mask on the same tokens and model, and
length bucketing vs padding every micro-batch to the longest sample. Prints real tokens/s and the
ratios, all measured in this process against its own baseline.

    python -m bench.train_step --data out/long [--hidden 256 --layers 4 --micro-batch 2 --steps 8]
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from transformers import AutoTokenizer, Qwen2Config, Qwen2ForCausalLM

from ltdata.loading import Collator, ShardDataset
from ltrain.train.data import StepSampler
from ltrain.train.loss import label_positions, shifted_targets, token_loss_sum


def causal(row: dict) -> dict:
    """The same row with a plain causal mask (what a vanilla step pays for attention)."""
    return {**row, "attend_from": np.zeros_like(row["attend_from"]),
            "visible_until": np.full_like(row["visible_until"], len(row["input_ids"]))}


def step_seconds(model, batch) -> float:
    """One forward + backward of a micro-batch with the recipe's loss (logits only where a label follows)."""
    started = time.perf_counter()
    keep = label_positions(batch["labels"])
    out = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                position_ids=batch["position_ids"], logits_to_keep=keep)
    token_loss_sum(out.logits, shifted_targets(batch["labels"], keep)).backward()
    model.zero_grad(set_to_none=True)
    return time.perf_counter() - started


def best_seconds(model, variants: dict[str, list[dict]], repeats: int) -> dict[str, float]:
    """Per variant, the sum over micro-batches of the best of `repeats` interleaved timings (robust to
    other jobs on a shared machine: every variant sees the same background load)."""
    best = {name: [float("inf")] * len(batches) for name, batches in variants.items()}
    for _ in range(repeats):
        for i in range(len(next(iter(variants.values())))):
            for name, batches in variants.items():
                best[name][i] = min(best[name][i], step_seconds(model, batches[i]))
    return {name: sum(times) for name, times in best.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--micro-batch", type=int, default=4)
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    dataset = ShardDataset(args.data)
    tokenizer = AutoTokenizer.from_pretrained(str(dataset.tokenizer_path))
    torch.manual_seed(0)
    model = Qwen2ForCausalLM(Qwen2Config(hidden_size=args.hidden, intermediate_size=4 * args.hidden,
                                         num_hidden_layers=args.layers, num_attention_heads=4, num_key_value_heads=2,
                                         vocab_size=len(tokenizer), tie_word_embeddings=True))
    sampler = StepSampler(dataset.lengths, micro_batch=args.micro_batch, accumulation=1, world_size=1, rank=0,
                          seed=0, total_steps=args.steps)
    rows = [[dataset[i] for i in micro] for micro in sampler]
    longest = int(dataset.lengths.max())
    bucketed, padded = Collator(0, pad_to_multiple_of=8), Collator(0, pad_to_multiple_of=longest)
    variants = {"lightthinker mask": [bucketed(r) for r in rows],
                "causal mask (vanilla)": [bucketed([causal(x) for x in r]) for r in rows],
                "lightthinker, padded to max length": [padded(r) for r in rows]}
    step_seconds(model, variants["lightthinker mask"][0])                     # warm-up
    seconds = best_seconds(model, variants, args.repeats)
    real = int(sum(dataset.lengths[i] for micro in sampler for i in micro))
    for name, s in seconds.items():
        print(f"{name:<36} {real / s:>10,.0f} real tokens/s   ({s:.2f} s for {len(rows)} micro-batches)")
    print(f"mask overhead vs causal: {seconds['lightthinker mask'] / seconds['causal mask (vanilla)']:.3f}x "
          f"(target <= 1.15x)")
    print(f"padding every micro-batch to {longest} tokens: "
          f"{seconds['lightthinker, padded to max length'] / seconds['lightthinker mask']:.2f}x slower than bucketing")


if __name__ == "__main__":
    main()
