"""Fine-tune on ltdata shards with TRL's `SFTTrainer` (pre-tokenised data, our collator).

    python examples/trainers/trl_sft.py --shards ltdata-out --model Qwen/Qwen2.5-0.5B-Instruct --output ckpt

The shards are already tokenised and laid out, so TRL must not prepare them
(`dataset_kwargs={"skip_prepare_dataset": True}`) nor drop the mask columns
(`remove_unused_columns=False`); the collator builds the float 4D `attention_mask` per batch.
TRL's logged `num_tokens` sums `attention_mask`, so it is meaningless with a 4D mask; the loss is right.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Sequence

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer
from trl import SFTConfig, SFTTrainer

from ltdata.loading import Collator, hf_dataset

COLUMNS = ["input_ids", "labels", "position_ids", "attend_from", "visible_until"]


def train(shards: str, model_path: str, *, output: str, steps: int = 2, batch_size: int = 2,
          learning_rate: float = 1e-4, mask: str = "additive", seed: int = 0) -> list[float]:
    """Run `steps` optimizer steps on the build in `shards`; return the loss logged at each."""
    manifest = json.loads((Path(shards) / "manifest.json").read_text())
    tokenizer = AutoTokenizer.from_pretrained(str(Path(shards) / manifest["tokenizer"]["path"]))
    model = AutoModelForCausalLM.from_pretrained(model_path, attn_implementation="sdpa")
    if model.get_input_embeddings().num_embeddings < len(tokenizer):
        model.resize_token_embeddings(len(tokenizer))
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else manifest["special_tokens"]["eos"]
    args = SFTConfig(output_dir=output, max_steps=steps, per_device_train_batch_size=batch_size,
                     learning_rate=learning_rate, logging_steps=1, save_strategy="no", report_to=[],
                     remove_unused_columns=False, dataset_kwargs={"skip_prepare_dataset": True}, seed=seed,
                     bf16=torch.cuda.is_available(), dataloader_num_workers=0)
    trainer = SFTTrainer(model=model, args=args, train_dataset=hf_dataset(shards, columns=COLUMNS),
                         data_collator=Collator(pad, mask=mask, count_labels=False), processing_class=tokenizer)
    trainer.train()
    return [entry["loss"] for entry in trainer.state.log_history if "loss" in entry]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shards", required=True, help="an `ltdata build` output directory")
    parser.add_argument("--model", required=True, help="model directory or hub id")
    parser.add_argument("--output", required=True, help="SFTTrainer output directory")
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=2)
    parser.add_argument("--learning-rate", type=float, default=1e-5)
    args = parser.parse_args(argv)
    losses = train(args.shards, args.model, output=args.output, steps=args.steps, batch_size=args.batch_size,
                   learning_rate=args.learning_rate)
    print("losses:", " ".join(f"{x:.4f}" for x in losses))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
