"""Fixtures: a real build of the bundled Marco-o1 traces and tiny random Qwen2/Llama models.

The build uses the byte BPE trained in the session, sentence thoughts, 3 cache tokens, samples cut
to <= 320 tokens at a thought boundary and 4 rows per shard (so 4 shards, 4-6 thoughts per row).
"""
from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.ipc as ipc
import pytest
import torch

from ltdata.config import BuildConfig
from ltdata.pipeline.build import SAMPLE_DATA, build

MARCO = SAMPLE_DATA / "marco-o1_cot.json"


def build_marco(output: Path, tokenizer: str, **options) -> Path:
    build(BuildConfig(input=[str(MARCO)], output=str(output), tokenizer=tokenizer, workers=1, processes=False,
                      progress=False, splitter="sentence", max_length=320, overlong="truncate", shard_size=4,
                      cache_tokens=3, **options))
    return output


@pytest.fixture(scope="session")
def marco_build(byte_tokenizer_path, tmp_path_factory) -> Path:
    return build_marco(tmp_path_factory.mktemp("feed") / "marco", byte_tokenizer_path)


@pytest.fixture(scope="session")
def marco_see_current(byte_tokenizer_path, tmp_path_factory) -> Path:
    return build_marco(tmp_path_factory.mktemp("feed") / "marco-sc", byte_tokenizer_path, see_current=True)


def read_arrow_rows(directory: Path) -> list[dict]:
    """Every row of a build read the plain way: whole files through pyarrow, to Python lists."""
    manifest = json.loads((directory / "manifest.json").read_text())
    rows = []
    for shard in manifest["shards"]:
        with pa.OSFile(str(directory / shard["file"])) as source:
            rows += ipc.open_file(source).read_all().to_pylist()
    return rows


@pytest.fixture(scope="session")
def arrow_rows():
    return read_arrow_rows


@pytest.fixture(scope="session")
def vocab(marco_build) -> int:
    """Vocabulary size of the build's tokenizer (the byte BPE plus the added tokens)."""
    from transformers import AutoTokenizer

    return len(AutoTokenizer.from_pretrained(str(marco_build / "tokenizer")))


@pytest.fixture(scope="session")
def tiny_model():
    return make_tiny_model


def make_tiny_model(family: str, vocab_size: int, attn: str = "sdpa", seed: int = 0):
    """A random 2-layer model (hidden 64, 4 heads / 2 kv heads), fp32, eval mode."""
    from transformers import LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM

    config_cls, model_cls = {"qwen2": (Qwen2Config, Qwen2ForCausalLM), "llama": (LlamaConfig, LlamaForCausalLM)}[family]
    config = config_cls(vocab_size=vocab_size, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=1024,
                        tie_word_embeddings=False)
    torch.manual_seed(seed)
    return model_cls._from_config(config, attn_implementation=attn, dtype=torch.float32).eval()
