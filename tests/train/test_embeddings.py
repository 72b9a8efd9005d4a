"""New-token rows start as the mean of their description's rows; spare checkpoint rows are never cut."""
from __future__ import annotations

import json

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, Qwen2Config, Qwen2ForCausalLM

from ltdata.errors import ConfigError
from ltdata.sequence.special_tokens import add_special_tokens, describe
from ltrain.train.embeddings import prepare_embeddings

BASE_VOCAB = 600   # the session BPE (tests/conftest.py) before ltdata adds its 16 tokens


def _manifest(shards):
    manifest = json.loads((shards / "manifest.json").read_text())
    return manifest["tokenizer"]["added_tokens"], manifest["token_descriptions"]


def test_grown_rows_are_description_means_in_both_matrices(tiny_qwen, lightthinker_shards):
    tokenizer = AutoTokenizer.from_pretrained(str(lightthinker_shards / "tokenizer"))
    added, descriptions = _manifest(lightthinker_shards)
    original = AutoModelForCausalLM.from_pretrained(str(tiny_qwen)).state_dict()
    model = AutoModelForCausalLM.from_pretrained(str(tiny_qwen))
    report = prepare_embeddings(model, tokenizer, added, descriptions)
    assert (report.rows_before, report.rows_after) == (BASE_VOCAB, BASE_VOCAB + 16) == (BASE_VOCAB, len(tokenizer))
    for name, key in (("input", "model.embed_tokens.weight"), ("output", "lm_head.weight")):
        weight = (model.get_input_embeddings() if name == "input" else model.get_output_embeddings()).weight
        assert torch.equal(weight[:BASE_VOCAB], original[key])     # old rows untouched
        for token in ("<|continue|>", "<|o_3|>", "<|splitter|>"):
            ids = tokenizer.encode(describe(token), add_special_tokens=False)
            assert max(ids) < BASE_VOCAB
            expected = original[key][ids].double().mean(dim=0)
            got = weight[tokenizer.convert_tokens_to_ids(token)].double()
            torch.testing.assert_close(got, expected, rtol=0, atol=1e-6)
    assert report.summary() == (f"embeddings resized {BASE_VOCAB} -> {BASE_VOCAB + 16} rows; 16 new token rows "
                                f"set to the mean of their descriptions")


def test_tied_embeddings_get_the_row_once(tiny_llama, lightthinker_shards):
    tokenizer = AutoTokenizer.from_pretrained(str(lightthinker_shards / "tokenizer"))
    model = AutoModelForCausalLM.from_pretrained(str(tiny_llama))
    before = model.get_input_embeddings().weight.detach().clone()
    prepare_embeddings(model, tokenizer, *_manifest(lightthinker_shards))
    weight = model.get_input_embeddings().weight
    assert model.get_output_embeddings().weight is weight
    ids = tokenizer.encode(describe("<|recover|>"), add_special_tokens=False)
    torch.testing.assert_close(weight[tokenizer.convert_tokens_to_ids("<|recover|>")], before[ids].mean(0))


def test_qwen_spare_rows_are_kept_and_the_new_ids_inside_them_are_initialised(qwen_tokenizer_path):
    tokenizer = AutoTokenizer.from_pretrained(qwen_tokenizer_path)
    base = len(tokenizer)
    added = add_special_tokens(tokenizer, 9)
    assert base + len(added) < 152064        # Qwen2.5 checkpoints ship 152064 rows
    torch.manual_seed(0)
    model = Qwen2ForCausalLM(Qwen2Config(hidden_size=8, intermediate_size=16, num_hidden_layers=1,
                                         num_attention_heads=2, num_key_value_heads=1, vocab_size=152064))
    before = model.get_input_embeddings().weight.detach().clone()
    report = prepare_embeddings(model, tokenizer, added, {t: describe(t) for t in added})
    assert report.rows_after == 152064 and model.get_input_embeddings().num_embeddings == 152064
    assert report.summary().startswith(f"embeddings kept at 152064 rows, {152064 - base - len(added)} more than")
    splitter = tokenizer.convert_tokens_to_ids("<|splitter|>")
    assert splitter == base                   # the first spare row
    blank_line = tokenizer.encode("\n\n", add_special_tokens=False)
    assert blank_line == [271]                # the paragraph-break token, never a new "\n\n" token
    torch.testing.assert_close(model.get_input_embeddings().weight[splitter], before[271])
    assert torch.equal(model.get_input_embeddings().weight[base + len(added):], before[base + len(added):])


def test_inconsistent_models_and_descriptions_are_refused(tiny_qwen, lightthinker_shards):
    tokenizer = AutoTokenizer.from_pretrained(str(lightthinker_shards / "tokenizer"))
    added, descriptions = _manifest(lightthinker_shards)
    model = AutoModelForCausalLM.from_pretrained(str(tiny_qwen))
    with pytest.raises(ConfigError, match=r"description '<\|continue\|>' of '<\|splitter\|>' must tokenise to "
                                          r"pre-existing tokens"):
        prepare_embeddings(model, tokenizer, added, {**descriptions, "<|splitter|>": "<|continue|>"})
    small = Qwen2ForCausalLM(Qwen2Config(hidden_size=8, intermediate_size=16, num_hidden_layers=1,
                                         num_attention_heads=2, num_key_value_heads=1, vocab_size=500))
    with pytest.raises(ConfigError, match="model: has 500 embedding rows but the data's tokenizer has 600 tokens"):
        prepare_embeddings(small, tokenizer, added, descriptions)
