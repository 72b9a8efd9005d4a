"""Helpers shared by the generation tests: fixture traces, shard rows, tiny models, the reference forward,
a hook that records the KV cache length before every forward."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.ipc as ipc
import torch
from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM

from ltdata.sequence.special_tokens import SpecialTokenIds
from ltdata.masks import dense_mask
from ltdata.records import Role

TRACES = [
    {"id": "coins", "prompt": "How many heads in 4 fair coin flips, on average?",
     "reasoning": "Each flip is heads with probability one half.\n\nThe expectation adds up over the flips.\n\n"
                  "So four flips give four times one half, which is 2.\n\n",
     "answer_text": "On average 2 heads."},
    {"id": "prime", "prompt": "Is 91 prime?",
     "reasoning": "Try small divisors: 2, 3 and 5 do not divide 91.\n\nBut 7 times 13 is 91.\n\n",
     "answer_text": "No, 91 = 7 * 13."},
    {"id": "sum", "prompt": "Add the numbers from 1 to 10.",
     "reasoning": "Pair 1 with 10, 2 with 9, and so on.\n\nThat makes five pairs.\n\nEach pair sums to 11.\n\n"
                  "Five times 11 is 55.\n\n",
     "answer_text": "55"},
]

# Bespoke-Stratos layout: the output opens with the uncompressed preamble "<|begin_of_thought|>\n\n"
BESPOKE = [
    {"id": "bs-prime", "system": "Think step by step.", "conversations": [
        {"from": "user", "value": "Is 91 prime?"},
        {"from": "assistant", "value": "<|begin_of_thought|>\n\nTry 2, 3 and 5 first: none divides 91.\n\n"
                                       "But 7 times 13 is 91.\n\n<|end_of_thought|>\n\n<|begin_of_solution|>\n\n"
                                       "No, 91 = 7 * 13.\n\n<|end_of_solution|>"}]},
]


def read_rows(directory: Path) -> list[dict]:
    manifest = json.loads((directory / "manifest.json").read_text())
    rows: list[dict] = []
    for shard in manifest["shards"]:
        with pa.memory_map(str(directory / shard["file"])) as source:
            rows += ipc.open_file(source).read_all().to_pylist()
    return rows


class Built:
    """One build: its rows, tokenizer and special ids."""

    def __init__(self, directory: Path):
        self.dir = directory
        self.manifest = json.loads((directory / "manifest.json").read_text())
        self.rows = read_rows(directory)
        self.tokenizer = AutoTokenizer.from_pretrained(str(directory / "tokenizer"))
        self.ids = SpecialTokenIds.from_manifest(self.manifest["special_tokens"])
        self.see_current = self.manifest["see_current"]


def tiny_model(arch: str, vocab_size: int, attn: str = "sdpa", *, seed: int = 0, layers: int = 2):
    """A random fp32 Qwen2 or Llama: hidden 64, 4 heads / 2 KV heads."""
    torch.manual_seed(seed)
    common = dict(vocab_size=vocab_size, hidden_size=64, intermediate_size=128, num_hidden_layers=layers,
                  num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512,
                  attn_implementation=attn)
    model = Qwen2ForCausalLM(Qwen2Config(**common)) if arch == "qwen2" else LlamaForCausalLM(LlamaConfig(**common))
    return model.eval()


def emitted(row: dict, mode: str) -> tuple[list[int], list[int]]:
    """(prompt ids, what the model emits) of a shard row: forced cache/continue tokens left out."""
    ids, role = np.asarray(row["input_ids"]), np.asarray(row["role"])
    prompt = int((role == Role.PROMPT).sum())
    spoken = [Role.THOUGHT, Role.SPLITTER, Role.ANSWER, Role.EOS] + ([Role.CACHE] if mode == "anllm" else [])
    return ids[:prompt].tolist(), ids[prompt:][np.isin(role[prompt:], spoken)].tolist()


def full_forward_logits(model, row: dict) -> torch.Tensor:
    """One pass over the whole row with the training mask (built here from dense_mask) and position ids."""
    allowed = torch.from_numpy(dense_mask(row))
    additive = torch.zeros(allowed.shape).masked_fill(~allowed, torch.finfo(torch.float32).min)
    with torch.no_grad():
        return model(input_ids=torch.tensor(row["input_ids"])[None], attention_mask=additive[None, None],
                     position_ids=torch.tensor(row["position_ids"])[None]).logits[0]


def cache_lengths(model):
    """Record, before every forward, the KV length of each layer and the first position fed."""
    seen: list[tuple[int, list[int]]] = []

    def hook(module, args, kwargs):
        layers = kwargs["past_key_values"].layers
        lengths = [0 if layer.keys is None else int(layer.keys.shape[-2]) for layer in layers]
        seen.append((int(kwargs["position_ids"][0, 0]), lengths))

    return seen, model.register_forward_pre_hook(hook, with_kwargs=True)
