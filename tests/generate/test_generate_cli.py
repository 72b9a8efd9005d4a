"""`ltrain generate` in process on a saved tiny checkpoint, as a user runs it."""
from __future__ import annotations

import json

import pytest
import torch

from generate_support import tiny_model
from ltrain.cli.main import main
from ltrain.generate import GenerationConfig, Generator, lookup_special_tokens

QUESTION = "Is 91 prime?"


@pytest.fixture(scope="module")
def checkpoint(builds, tmp_path_factory):
    """A random Llama saved with save_pretrained next to the build's tokenizer, with and without ltrain.json."""
    built = builds["lightthinker"]
    root = tmp_path_factory.mktemp("checkpoints")
    model = tiny_model("llama", len(built.tokenizer), seed=5)
    for name in ("with_meta", "bare"):
        model.save_pretrained(root / name)
        built.tokenizer.save_pretrained(root / name)
    meta = {"special_tokens": built.manifest["special_tokens"], "mode": "lightthinker", "cache_tokens": 9,
            "template": "plain", "config": {}, "stage": "main", "step": 0}
    (root / "with_meta" / "ltrain.json").write_text(json.dumps(meta))
    return root, model, built


def naive_greedy(model, ids: list[int], steps: int, eos: int) -> list[int]:
    """The obvious reference: a full causal forward over the whole sequence for every new token."""
    out = []
    with torch.no_grad():
        for _ in range(steps):
            token = int(model(input_ids=torch.tensor([ids + out])).logits[0, -1].argmax())
            out.append(token)
            if token == eos:
                break
    return out


def test_generate_prints_text_and_stats_and_writes_jsonl(checkpoint, tmp_path, capsys):
    root, model, built = checkpoint
    out = tmp_path / "out.jsonl"
    code = main(["generate", "--model", str(root / "with_meta"), "--prompt", QUESTION, "--method", "vanilla",
                 "--max-new-tokens", "8", "--out", str(out)])
    assert code == 0
    (record,) = [json.loads(line) for line in out.read_text().splitlines()]
    prompt_ids = built.tokenizer(QUESTION + "\n\n", add_special_tokens=False)["input_ids"]   # the plain template
    assert record["output_ids"] == naive_greedy(model, prompt_ids, 8, built.ids.eos)
    fed = len(record["output_ids"]) - int(record["finished"])
    assert record["peak_tokens"] == len(prompt_ids) + fed and record["compressions"] == 0
    assert record["output_tokens"] == len(record["output_ids"]) and record["seconds"] > 0
    printed = capsys.readouterr().out
    assert record["text"] in printed and f"peak KV {record['peak_tokens']} · Dep {record['dep']}" in printed


def test_prompts_file_and_the_name_lookup_without_ltrain_json(checkpoint, tmp_path):
    root, _, built = checkpoint
    assert lookup_special_tokens(built.tokenizer) == built.ids
    prompts = tmp_path / "prompts.jsonl"
    lines = [json.dumps({"id": "a", "prompt": QUESTION}), "", json.dumps({"prompt": "Add 1 and 2."})]
    prompts.write_text("\n".join(lines) + "\n")
    out = tmp_path / "out.jsonl"
    assert main(["generate", "--model", str(root / "bare"), "--prompts", str(prompts), "--max-new-tokens", "5",
                 "--batch-size", "2", "--out", str(out)]) == 0
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in records] == ["a", "1"] and all(r["method"] == "lightthinker" for r in records)
    generator = Generator.from_checkpoint(str(root / "bare"), GenerationConfig(max_new_tokens=5))
    assert generator.special_tokens == built.ids and generator.template == "auto"


@pytest.mark.parametrize("argv,code,message", [
    (["--model", "{root}/missing", "--prompt", "x"], 2, "model: cannot load"),
    (["--model", "{root}/with_meta", "--prompt", "x", "--method", "h2o"], 2, "kv_budget: h2o needs"),
    (["--model", "{root}/with_meta", "--prompts", "{tmp}/bad.jsonl"], 1, "bad.jsonl:2: invalid JSON"),
    (["--model", "{root}/with_meta", "--prompts", "{tmp}/nope.jsonl"], 2, "--prompts: file not found"),
])
def test_errors_are_one_line_with_exit_codes(checkpoint, tmp_path, capsys, argv, code, message):
    root = checkpoint[0]
    (tmp_path / "bad.jsonl").write_text('{"prompt": "fine"}\n{"prompt": \n')
    argv = [a.format(root=root, tmp=tmp_path) for a in argv]
    assert main(["generate", *argv]) == code
    err = capsys.readouterr().err
    assert err.startswith("ltrain: error: ") and message in err and err.count("\n") == 1
