"""`ltrain eval` as users run it: a tiny random checkpoint end to end, re-scoring, and the interactive
adjudication fed through stdin."""
from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest
import torch
from transformers import AutoTokenizer, Qwen2Config, Qwen2ForCausalLM

from ltdata.sequence.special_tokens import add_special_tokens, special_token_ids
from ltrain.cli.main import main
from ltrain.eval.samples import samples_path


@pytest.fixture(scope="module")
def tiny_checkpoint(byte_tokenizer_path, tmp_path_factory) -> Path:
    """A random 2-layer Qwen2 with the LightThinker tokens, saved as the trainer saves checkpoints."""
    path = tmp_path_factory.mktemp("ckpt")
    tokenizer = AutoTokenizer.from_pretrained(byte_tokenizer_path)
    add_special_tokens(tokenizer, 2)
    torch.manual_seed(0)
    config = Qwen2Config(vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=4096)
    Qwen2ForCausalLM(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    ids = special_token_ids(tokenizer, 2, tokenizer.eos_token)
    (path / "ltrain.json").write_text(json.dumps({"special_tokens": ids.to_manifest(), "mode": "lightthinker",
                                                  "cache_tokens": 2, "template": "plain"}))
    return path


def read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.mark.slow
def test_eval_end_to_end_with_a_tiny_model(tiny_checkpoint, eval_data, tmp_path, capsys):
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(eval_data / "gsm8k_test_items301-306.jsonl", data / "gsm8k.jsonl")
    shutil.copytree(eval_data / "bbh", data / "bbh")
    out = tmp_path / "out"
    argv = ["eval", "--model", str(tiny_checkpoint), "--datasets", "gsm8k,bbh", "--data-dir", str(data),
            "--out", str(out), "--limit", "2", "--max-new-tokens", "6", "--method", "lightthinker"]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    tokenizer = AutoTokenizer.from_pretrained(tiny_checkpoint)
    for dataset in ("gsm8k", "bbh"):
        samples = read(samples_path(out, dataset))
        assert [s["dataset"] for s in samples] == [dataset, dataset]
        for s in samples:
            prompt_tokens = len(tokenizer(s["prompt"], add_special_tokens=False)["input_ids"])
            assert 1 <= s["stats"]["output_tokens"] <= 6
            assert s["stats"]["peak_tokens"] >= prompt_tokens and s["stats"]["seconds"] > 0
            assert s["verdict"] in ("correct", "wrong", "unresolved")
    table = (out / "results.md").read_text()
    assert table == printed[:len(table)]
    for dataset in ("gsm8k", "bbh"):      # the table's accuracy is the share of "correct" verdicts on file
        share = sum(s["verdict"] == "correct" for s in read(samples_path(out, dataset))) / 2 * 100
        row = next(r for r in (out / "results.csv").read_text().splitlines() if r.split(",")[1] == dataset)
        assert float(row.split(",")[3]) == share

    before = samples_path(out, "gsm8k").read_bytes()
    assert main(argv) == 0                                   # everything done: nothing is regenerated
    assert samples_path(out, "gsm8k").read_bytes() == before
    assert main(["eval", "score", str(out)]) == 0
    assert (out / "results.md").read_text() == table


def write_run(out: Path, items, outputs):
    out.mkdir()
    (out / "run.json").write_text(json.dumps({"method": "vanilla"}))
    samples_path(out, "gsm8k").parent.mkdir()
    lines = [{**item.to_dict(), "prompt": "p", "output": text, "finished": True,
              "stats": {"peak_tokens": 1, "dep": 1, "compressions": 0, "output_tokens": 1, "seconds": 0.1}}
             for item, text in zip(items, outputs)]
    samples_path(out, "gsm8k").write_text("".join(json.dumps(x) + "\n" for x in lines))


def test_adjudicate_from_stdin_saves_every_verdict(items, tmp_path, monkeypatch, capsys):
    g = items["gsm8k"]                                       # golds 78, 8, 15
    out = tmp_path / "run"
    write_run(out, [g[0], g[1], g[2], g[0]], [r"so \boxed{seventy-eight}", r"\boxed{eight}", r"\boxed{15}",
                                              r"again \boxed{\text{seventy-eight}}"])
    monkeypatch.setattr("sys.stdin", io.StringIO("e\ny\n"))  # show the output, say yes, then stdin ends
    assert main(["eval", "adjudicate", str(out)]) == 0
    shown = capsys.readouterr().out
    assert "model answer <=> gold: seventy-eight  <=>  78" in shown and r"so \boxed{seventy-eight}" in shown
    verdicts = read(out / "adjudications.jsonl")
    assert [(v["id"], v["answer"], v["verdict"]) for v in verdicts] == [
        ("gsm8k_test_items301-306/0", "seventy-eight", "correct")]
    scored = read(samples_path(out, "gsm8k"))                # one verdict covers both spellings
    assert [(s["auto_verdict"], s["verdict"]) for s in scored] == [
        ("unresolved", "correct"), ("unresolved", "unresolved"), ("correct", "correct"), ("unresolved", "correct")]

    monkeypatch.setattr("sys.stdin", io.StringIO("maybe\nn\n"))  # only "eight" is left; junk is asked again
    assert main(["eval", "adjudicate", str(out)]) == 0
    assert "[1/1] gsm8k gsm8k_test_items301-306/1" in capsys.readouterr().out
    assert [v["verdict"] for v in read(out / "adjudications.jsonl")] == ["correct", "wrong"]
    assert main(["eval", "score", str(out)]) == 0
    assert "| vanilla | GSM8K | 4 | 25.00 | 75.00 | 0 | 3 |" in capsys.readouterr().out   # 3 samples decided by hand


def test_cli_errors_are_one_line(items, tmp_path, capsys):
    assert main(["eval", "--datasets", "gsm8k"]) == 2
    assert capsys.readouterr().err.strip() == "ltrain: error: --model: a checkpoint directory is required"
    assert main(["eval", "score", str(tmp_path)]) == 2
    assert "no samples/*.jsonl files" in capsys.readouterr().err
    assert main(["eval", "adjudicate", str(tmp_path), str(tmp_path)]) == 2
    assert "--adjudications: name one file" in capsys.readouterr().err
    samples_path(tmp_path, "gsm8k").parent.mkdir()
    samples_path(tmp_path, "gsm8k").write_text(json.dumps(items["gsm8k"][0].to_dict()) + "\n")   # no output
    assert main(["eval", "score", str(tmp_path)]) == 1
    assert capsys.readouterr().err.strip() == (
        f"ltrain: error: {samples_path(tmp_path, 'gsm8k')}[0] (id='gsm8k_test_items301-306/0'): "
        "is not a complete sample (KeyError: 'output')")
