"""A build's workers encode with the saved tokenizer.json alone: the same ids as AutoTokenizer, every segment kind.

For each shipped tokenizer (the bundled Qwen vocabulary, the Llama-3 one) and a BPE trained in this
session: the tokenizer a build saves is loaded both ways, and the Rust codec must give transformers'
ids and decoded text for plain text, text holding special and added tokens, and the chat-templated
prompt; the special ids the driver records must be transformers' own.
"""
from __future__ import annotations

import pytest
from transformers import AutoTokenizer

from ltdata.config import BuildConfig
from ltdata.pipeline.saved import saved_tokenizer
from ltdata.records import Trace
from ltdata.sequence.builder import Layouter
from ltdata.sequence.codec import LazyTokenizer, RustCodec, SpecialIds, codec_for, load_rust_codec

TEXTS = [
    "",
    "Let me think.\n\nFirst, 6 * 7 = 42.\n\n",
    "  leading spaces, trailing spaces  \n\n\n\nthree blank lines\t\ttabs\r\nCRLF",
    "Unicode: é, ß, 你好, 🙂, ∑_{i=1}^n i² = n(n+1)(2n+1)/6, \\boxed{42}",
    "<|begin_of_thought|>\n\nI should check.\n\n<|end_of_thought|>\n\n<|begin_of_solution|>\n\n42<|end_of_solution|>",
    "control tokens in text: <|im_end|> <|eot_id|> <|endoftext|> <|splitter|><|o_0|><|continue|> <|o_8|>",
    "almost tokens: <|im_end| <|splitter |> <|o_99|> <| continue|>",
]


@pytest.fixture(params=["qwen", "llama", "bpe"])
def tokenizer_source(request, qwen_tokenizer_path) -> str:
    if request.param == "qwen":
        return qwen_tokenizer_path
    return request.getfixturevalue("llama_tokenizer_path" if request.param == "llama" else "byte_tokenizer_path")


def test_saved_tokenizer_json_encodes_every_segment_kind_as_autotokenizer(tokenizer_source, tokenizer_store):
    cfg = BuildConfig(tokenizer=tokenizer_source)
    saved = saved_tokenizer(cfg, scratch=tokenizer_store / "scratch")
    assert saved.rust and (saved.directory / "tokenizer.json").is_file()
    reference = AutoTokenizer.from_pretrained(str(saved.directory))
    codec = load_rust_codec(saved.directory, saved.specials)

    layouter = Layouter(codec, saved.settings)
    trace = Trace(prompt="What is 6 * 7?", system="Be brief.", reasoning="x", record_id="t")
    prompts = [layouter.render_prompt(trace), layouter.render_prompt(Trace(prompt="Hi", reasoning="x"))]
    texts = TEXTS + prompts + [reference.decode([i]) for i in range(0, 600, 7)]
    expected = reference(texts, add_special_tokens=False)["input_ids"]
    assert codec.encode(texts) == expected
    assert codec.decode(expected) == reference.batch_decode(expected, skip_special_tokens=False,
                                                           clean_up_tokenization_spaces=False)
    assert saved.specials == SpecialIds.of(reference)
    assert [codec.token(i) for i in saved.specials.special] == reference.convert_ids_to_tokens(
        list(saved.specials.special))
    # the prompt's control tokens are single tokens, as the layout needs
    if saved.settings.template.kind in ("chatml", "llama3"):
        assert saved.settings.ids.eos in expected[len(TEXTS)]


def test_codec_for_a_transformers_tokenizer_and_the_lazy_one(qwen_tokenizer_path, tmp_path):
    tokenizer = AutoTokenizer.from_pretrained(qwen_tokenizer_path)
    assert isinstance(codec_for(tokenizer), RustCodec) and codec_for(tokenizer).tokenizer is tokenizer
    lazy = LazyTokenizer(qwen_tokenizer_path)
    assert lazy._loaded is None
    assert codec_for(lazy).encode(TEXTS) == tokenizer(TEXTS, add_special_tokens=False)["input_ids"]
    assert lazy.is_fast and len(lazy) == len(tokenizer)
