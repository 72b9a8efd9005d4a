"""Eval prompts carry the system turn the checkpoint was trained with, token for token, end to end.

Three builds of the same GSM8K questions (prompt = the eval instruction + question, so eval renders
the very prompt a row was trained on): no system prompt (`--system-prompt none`), a custom build
setting, and records that bring their own system turn (as Bespoke-Stratos records do, with a null
setting). Each trains a tiny random Qwen2 for one step; `ltrain eval` on that checkpoint must feed the
prompt-role tokens of the matching shard row. Before ltrain.json recorded it, eval always used the
Bespoke-Stratos prompt.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

os.environ.setdefault("DS_ACCELERATOR", "cpu")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from ltdata.config import BuildConfig  # noqa: E402
from ltdata.loading import ShardDataset  # noqa: E402
from ltdata.pipeline.build import build  # noqa: E402
from ltdata.records import Role  # noqa: E402
from ltrain.eval.config import EvalConfig  # noqa: E402
from ltrain.eval.prompts import BESPOKE_SYSTEM_PROMPT, INSTRUCTION  # noqa: E402
from ltrain.eval.readers import load_benchmark  # noqa: E402
from ltrain.eval.runner import run_eval  # noqa: E402
from ltrain.generate import GenerationConfig  # noqa: E402
from ltrain.generate.tokenizer import load_checkpoint_tokenizer  # noqa: E402
from ltrain.meta import read_checkpoint_meta  # noqa: E402
from ltrain.train.checkpoint import latest_checkpoint  # noqa: E402
from ltrain.train.config import TrainConfig  # noqa: E402
from ltrain.train.recipe import train  # noqa: E402

GSM8K = Path(__file__).resolve().parents[1] / "data" / "eval" / "gsm8k_test_items301-306.jsonl"
CUSTOM = "You are a careful accountant. Show every step."
# case -> (build setting, the system field of each record, the system turn the prompts carry)
CASES = {"none": (None, None, None), "custom": (CUSTOM, None, CUSTOM),
         "records": (None, BESPOKE_SYSTEM_PROMPT, BESPOKE_SYSTEM_PROMPT)}


@pytest.fixture(scope="module")
def tiny_qwen(tmp_path_factory) -> Path:
    from transformers import Qwen2Config, Qwen2ForCausalLM

    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("tiny-qwen")
    Qwen2ForCausalLM(Qwen2Config(hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2,
                                 num_key_value_heads=1, vocab_size=600)).save_pretrained(str(path))
    return path


def trained(case: str, root: Path, tokenizer: str, model: Path) -> tuple[Path, Path]:
    """(shards, checkpoint): the case's build and one training step on it."""
    setting, record_system, _ = CASES[case]
    items = load_benchmark("gsm8k", path=GSM8K, limit=3)
    traces = [{"id": item.id, "prompt": INSTRUCTION + item.question, "answer_text": f"\\boxed{{{item.gold}}}",
               "reasoning": f"Read the question.\n\nThe answer is {item.gold}.\n\n",
               **({"system": record_system} if record_system is not None else {})} for item in items]
    (root / "traces.jsonl").write_text("".join(json.dumps(t) + "\n" for t in traces), encoding="utf-8")
    shards = root / "shards"
    build(BuildConfig(input=[str(root / "traces.jsonl")], output=str(shards), tokenizer=tokenizer, format="plain",
                      system_prompt=setting, workers=1, processes=False, progress=False, max_length=None))
    train(TrainConfig(model=str(model), data=[str(shards)], output_dir=str(root / "run"), zero_stage=2,
                      micro_batch_size=1, global_batch_size=1, max_steps=1, lr=1e-3, warmup_steps=0,
                      save_every_steps=None, save_every_epochs=None, progress=False, seed=0))
    return shards, latest_checkpoint(root / "run")


@pytest.mark.parametrize("case", list(CASES))
def test_eval_prompts_equal_the_trained_prompt_tokens(case, tmp_path, byte_tokenizer_path, tiny_qwen):
    shards, checkpoint = trained(case, tmp_path, byte_tokenizer_path, tiny_qwen)
    assert read_checkpoint_meta(checkpoint)["system_prompt"] == CASES[case][2]
    out = tmp_path / "eval"
    run_eval(EvalConfig(model=str(checkpoint), datasets=["gsm8k"], data={"gsm8k": str(GSM8K)}, limit=3,
                        generation=GenerationConfig(method="vanilla", max_new_tokens=1, batch_size=3), out=str(out)),
             progress=False)
    rows = ShardDataset(shards, columns=["record_id", "input_ids", "role"])
    trained_prompts = {row["record_id"]: row["input_ids"][row["role"] == Role.PROMPT].tolist()
                       for row in (rows[i] for i in range(len(rows)))}
    tokenizer = load_checkpoint_tokenizer(str(checkpoint))
    samples = [json.loads(line) for line in (out / "samples" / "gsm8k.jsonl").read_text().splitlines()]
    assert sorted(s["id"] for s in samples) == sorted(trained_prompts)
    for sample in samples:
        fed = tokenizer(sample["prompt"], add_special_tokens=False)["input_ids"]
        np.testing.assert_array_equal(fed, trained_prompts[sample["id"]])
    assert json.loads((out / "run.json").read_text())["system_prompt"] == CASES[case][2]


def test_an_explicit_system_prompt_wins_over_the_checkpoint(tmp_path, byte_tokenizer_path, tiny_qwen):
    _, checkpoint = trained("custom", tmp_path, byte_tokenizer_path, tiny_qwen)
    out = tmp_path / "eval"
    run_eval(EvalConfig(model=str(checkpoint), datasets=["gsm8k"], data={"gsm8k": str(GSM8K)}, limit=1,
                        generation=GenerationConfig(method="vanilla", max_new_tokens=1), system_prompt=None,
                        out=str(out)), progress=False)
    (sample,) = [json.loads(line) for line in (out / "samples" / "gsm8k.jsonl").read_text().splitlines()]
    assert sample["prompt"].startswith(INSTRUCTION)
    assert json.loads((out / "run.json").read_text())["system_prompt"] is None
