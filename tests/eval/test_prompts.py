"""Eval prompts: the paper's instruction, the Bespoke system prompt, and token-for-token the prompt
that `ltdata build` lays out for a real Bespoke-Stratos training record."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from transformers import AutoTokenizer

from ltdata.config import BuildConfig
from ltdata.errors import Origin
from ltdata.sequence.prepare import prepare_layout
from ltdata.readers.formats import resolve_format
from ltdata.records import Role
from ltrain.eval.items import EvalItem
from ltrain.eval.prompts import BESPOKE_SYSTEM_PROMPT, INSTRUCTION, PromptBuilder, user_prompt

SAMPLE = Path(__file__).resolve().parents[2] / "ltdata" / "sample_data" / "bespoke_sky-t1.jsonl"


def first_record() -> dict:
    return json.loads(SAMPLE.read_text(encoding="utf-8").splitlines()[0])


def test_system_prompt_is_bespoke_stratos_verbatim():
    assert BESPOKE_SYSTEM_PROMPT == first_record()["system"]
    assert "analisying questions" in BESPOKE_SYSTEM_PROMPT                     # the upstream typo, kept
    assert "separated with '\\n\\n'}" in BESPOKE_SYSTEM_PROMPT                 # literal backslash-n


def test_user_prompt_renders_choices(items):
    inverse = items["mmlu_csv"][3]
    assert user_prompt(inverse) == ("Return your final response within \\boxed{}. What is the inverse of "
                                    "$f(x)=4-5x$?\nA. \\frac{5}{x-4}\nB. \\frac{x-4}{5}\nC. \\frac{x+4}{5}\n"
                                    "D. -\\frac{x-4}{5}")
    deduction = items["bbh"][3]                                                # options already in the input
    assert user_prompt(deduction) == INSTRUCTION + deduction.question
    assert user_prompt(items["gsm8k"][0]) == INSTRUCTION + items["gsm8k"][0].question


@pytest.mark.slow
def test_eval_prompt_ids_equal_the_training_prompt(qwen_tokenizer_path):
    record = first_record()
    trace = resolve_format("bespoke").to_trace(record, Origin(str(SAMPLE), 0, 1))
    tokenizer = AutoTokenizer.from_pretrained(qwen_tokenizer_path)
    layouter = prepare_layout(tokenizer, BuildConfig(template="auto", max_length=None)).layouter
    (example,) = layouter.lay_out_many([(trace, [(0, len(trace.reasoning))])])
    trained_prompt = example.input_ids[example.role == Role.PROMPT].tolist()

    user = record["conversations"][0]["value"]
    assert user.startswith(INSTRUCTION)
    item = EvalItem(id="bs-00001", dataset="gsm8k", subset="", question=user[len(INSTRUCTION):], gold="1",
                    kind="numeric")
    builder = PromptBuilder(tokenizer, template="auto")
    text = builder.text(item)
    assert text.startswith("<|im_start|>system\nYour role as an assistant") and text.endswith(
        "<|im_end|>\n<|im_start|>assistant\n")
    np.testing.assert_array_equal(builder.encode([text])[0], trained_prompt)
