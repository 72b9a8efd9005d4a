"""A checkpoint's tokenizer loads as the build loaded it, even beside a qwen2 config.json.

The tokenizer is a byte-level BPE trained here in which " 3" and " 47" are single tokens, saved with a
chat template; `ltdata build` adds its tokens and lays out a record, and a tiny random Qwen2 saved next
to the build's tokenizer files is the checkpoint (what `ltrain train` writes). transformers forces its
Qwen2 tokenizer class on such a directory, which splits digits one by one; the reference for every
expectation is `tokenizers.Tokenizer.from_file(tokenizer.json)`, and the shard row itself.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import AutoTokenizer, PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM

from generate_support import read_rows
from ltdata.config import BuildConfig
from ltdata.errors import ConfigError
from ltdata.pipeline.build import build
from ltdata.records import Role
from ltrain.cli.main import main
from ltrain.generate import GenerationConfig, Generator
from ltrain.generate.tokenizer import check_tokenizer, load_checkpoint_tokenizer

DIGITS = "starts at 3 then 47"
CHAT = ("{% for m in messages %}<|{{ m['role'] }}|>\n{{ m['content'] }}\n{% endfor %}"
        "{% if add_generation_prompt %}<|assistant|>\n{% endif %}")
GSM8K = Path(__file__).resolve().parents[1] / "data" / "eval" / "gsm8k_test_items301-306.jsonl"
TRACE = {"id": "train", "prompt": "A train starts at 3 then 47 stops later. How many stops?",
         "reasoning": "It starts at 3 and goes 47 stops more.\n\nSo 3 + 47 = 50.\n\n", "answer_text": "50 stops."}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """(shards directory, checkpoint directory): a build with the digit BPE and its tiny Qwen2 checkpoint."""
    root = tmp_path_factory.mktemp("digit_bpe")
    corpus = [f"starts at {a} then {b}, so {a} + {b} stops" for a in range(1, 60) for b in (3, 47, 50)]
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    bpe.train_from_iterator(corpus + [TRACE["prompt"], TRACE["reasoning"], TRACE["answer_text"]] * 20,
                            trainers.BpeTrainer(vocab_size=400, special_tokens=["<|endoftext|>"],
                                                initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    fast = PreTrainedTokenizerFast(tokenizer_object=bpe, eos_token="<|endoftext|>", pad_token="<|endoftext|>")
    fast.chat_template = CHAT
    fast.save_pretrained(str(root / "base"))
    (root / "traces.jsonl").write_text(json.dumps(TRACE) + "\n", encoding="utf-8")
    build(BuildConfig(input=[str(root / "traces.jsonl")], output=str(root / "shards"), tokenizer=str(root / "base"),
                      format="plain", system_prompt="Be brief.", workers=1, processes=False, progress=False,
                      max_length=None))
    checkpoint = root / "checkpoint"
    shutil.copytree(root / "shards" / "tokenizer", checkpoint)
    vocab = len(AutoTokenizer.from_pretrained(str(checkpoint)))
    Qwen2ForCausalLM(Qwen2Config(vocab_size=vocab, hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                                 num_attention_heads=2, num_key_value_heads=1)).save_pretrained(str(checkpoint))
    return root / "shards", checkpoint


def reference(checkpoint) -> Tokenizer:
    return Tokenizer.from_file(str(checkpoint / "tokenizer.json"))


def test_the_digits_encode_as_in_tokenizer_json(built):
    _, checkpoint = built
    want = reference(checkpoint).encode(DIGITS, add_special_tokens=False).ids
    assert len(want) == 5                                   # "starts", " at", " 3", " then", " 47"
    naive = AutoTokenizer.from_pretrained(str(checkpoint))  # what eval and generate used to do
    assert naive(DIGITS, add_special_tokens=False)["input_ids"] != want
    loaded = load_checkpoint_tokenizer(str(checkpoint))
    assert loaded(DIGITS, add_special_tokens=False)["input_ids"] == want
    assert loaded.chat_template == CHAT


def test_generation_prompts_equal_the_shard_prompt(built):
    shards, checkpoint = built
    (row,) = read_rows(shards)
    trained = np.asarray(row["input_ids"])[np.asarray(row["role"]) == Role.PROMPT].tolist()
    generator = Generator.from_checkpoint(str(checkpoint), GenerationConfig(method="vanilla", max_new_tokens=1))
    assert generator.encode(TRACE["prompt"], system="Be brief.") == trained


def test_a_tokenizer_that_encodes_otherwise_is_refused(built):
    _, checkpoint = built
    with pytest.raises(ConfigError) as info:
        check_tokenizer(AutoTokenizer.from_pretrained(str(checkpoint)), str(checkpoint))
    message = str(info.value)
    assert message.startswith(f"model: {checkpoint}: the tokenizer loads as Qwen2Tokenizer") and "\n" not in message
    assert "digits probe 'starts at 3 then 47" in message


@pytest.mark.parametrize("command", [
    ["generate", "--prompt", "What is 3 + 47?", "--max-new-tokens", "1"],
    ["eval", "--datasets", "gsm8k", "--limit", "1", "--max-new-tokens", "1"],
])
def test_generate_and_eval_refuse_a_checkpoint_whose_tokenizer_class_re_tokenises(built, tmp_path, capsys, command):
    """tokenizer_config.json naming Qwen2Tokenizer: the class rebuilds the BPE and splits digits."""
    _, checkpoint = built
    broken = tmp_path / "broken"
    shutil.copytree(checkpoint, broken)
    config = json.loads((broken / "tokenizer_config.json").read_text())
    (broken / "tokenizer_config.json").write_text(json.dumps({**config, "tokenizer_class": "Qwen2Tokenizer"}))
    extra = ["--data", f"gsm8k={GSM8K}", "--out", str(tmp_path / "out")] if command[0] == "eval" else []
    assert main([command[0], "--model", str(broken), *command[1:], *extra]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"ltrain: error: model: {broken}: the tokenizer loads as Qwen2Tokenizer")
    assert err.count("\n") == 1
