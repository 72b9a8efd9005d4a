"""Fine-tune on ltdata shards with a plain PyTorch loop: bucketed or packed batches, token-mean loss.

    python examples/trainers/plain_loop.py --shards ltdata-out --model Qwen/Qwen2.5-0.5B-Instruct --pack 4096

Batches of similar length (or packed rows of several samples) keep padding low; the loss is the
sum over trained tokens divided by the batch's `num_label_tokens`, which stays right under gradient
accumulation (divide by the total over the accumulated micro-batches instead).
"""
from __future__ import annotations

import argparse
import itertools
from typing import Sequence

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader
from transformers import AutoModelForCausalLM, AutoTokenizer

from ltdata.loading import Collator, LengthBucketSampler, PackedDataset, ShardDataset


def train(shards: str, model_path: str, *, steps: int = 2, max_tokens: int = 2048, pack: int | None = None,
          learning_rate: float = 1e-4, mask: str = "additive", seed: int = 0) -> list[float]:
    """Run `steps` optimizer steps on batches of at most `max_tokens` (padded) tokens; return the losses."""
    dataset = ShardDataset(shards, columns=["input_ids", "labels", "position_ids", "attend_from", "visible_until"])
    tokenizer = AutoTokenizer.from_pretrained(str(dataset.tokenizer_path))
    data = PackedDataset(dataset, max_tokens=pack) if pack else dataset
    sampler = LengthBucketSampler(data.lengths, max_tokens=max_tokens, seed=seed)
    if not len(sampler):
        raise ValueError(f"{shards}: no rows to train on")
    loader = DataLoader(data, batch_sampler=sampler, collate_fn=Collator(dataset.manifest["special_tokens"]["eos"],
                                                                         mask=mask))
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_pretrained(model_path, attn_implementation="sdpa")
    if model.get_input_embeddings().num_embeddings < len(tokenizer):
        model.resize_token_embeddings(len(tokenizer))
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=learning_rate)
    losses = []
    for epoch in itertools.count():
        sampler.set_epoch(epoch)
        for batch in loader:
            labels, count = batch.pop("labels"), batch.pop("num_label_tokens")
            logits = model(**batch).logits[:, :-1]
            loss = F.cross_entropy(logits.flatten(0, 1), labels[:, 1:].flatten(), ignore_index=-100,
                                   reduction="sum") / count.clamp(min=1)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            losses.append(loss.item())
            if len(losses) == steps:
                return losses


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shards", required=True, help="an `ltdata build` output directory")
    parser.add_argument("--model", required=True, help="model directory or hub id")
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--max-tokens", type=int, default=8192, help="padded tokens per batch")
    parser.add_argument("--pack", type=int, default=None, help="pack samples into rows of this many tokens")
    parser.add_argument("--learning-rate", type=float, default=1e-5)
    args = parser.parse_args(argv)
    losses = train(args.shards, args.model, steps=args.steps, max_tokens=args.max_tokens, pack=args.pack,
                   learning_rate=args.learning_rate)
    print("losses:", " ".join(f"{x:.4f}" for x in losses))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
