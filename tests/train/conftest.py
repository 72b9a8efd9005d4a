"""Fixtures for the trainer: real shards of every mode and tiny random Qwen2 / Llama models, built here.

Shards come from `ltdata build` on the bundled Marco-o1 traces with the session's byte-level BPE
(600 tokens + 16 added), cut into 24-token thoughts and truncated to 192 tokens, so a CPU step
takes milliseconds. The models are saved with `save_pretrained` and loaded back by the trainer.
"""
from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("DS_ACCELERATOR", "cpu")

import pytest  # noqa: E402
import torch  # noqa: E402

from ltdata.config import BuildConfig  # noqa: E402
from ltdata.pipeline.build import SAMPLE_DATA, build  # noqa: E402

BASE_VOCAB = 600   # the session BPE's size before ltdata adds its tokens


@pytest.fixture(scope="session")
def shard_factory(tmp_path_factory, byte_tokenizer_path):
    built: dict[str, Path] = {}

    def make(mode: str) -> Path:
        if mode not in built:
            out = tmp_path_factory.mktemp(f"shards-{mode}") / "out"
            build(BuildConfig(input=[str(SAMPLE_DATA / "marco-o1_cot.json")], output=str(out),
                              tokenizer=byte_tokenizer_path, mode=mode, splitter="tokens",
                              splitter_options={"tokens": 24}, max_length=192, overlong="truncate",
                              workers=1, processes=False, progress=False))
            built[mode] = out
        return built[mode]

    return make


@pytest.fixture(scope="session")
def lightthinker_shards(shard_factory) -> Path:
    return shard_factory("lightthinker")


def _save_tiny(path: Path, config) -> Path:
    from transformers import AutoModelForCausalLM

    torch.manual_seed(0)
    AutoModelForCausalLM.from_config(config).save_pretrained(str(path))
    return path


@pytest.fixture(scope="session")
def tiny_qwen(tmp_path_factory) -> Path:
    from transformers import Qwen2Config

    config = Qwen2Config(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                         num_key_value_heads=2, vocab_size=BASE_VOCAB, max_position_embeddings=512,
                         tie_word_embeddings=False)
    return _save_tiny(tmp_path_factory.mktemp("tiny-qwen"), config)


@pytest.fixture(scope="session")
def tiny_llama(tmp_path_factory) -> Path:
    from transformers import LlamaConfig

    config = LlamaConfig(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                         num_key_value_heads=2, vocab_size=BASE_VOCAB, max_position_embeddings=512,
                         tie_word_embeddings=True)
    return _save_tiny(tmp_path_factory.mktemp("tiny-llama"), config)
