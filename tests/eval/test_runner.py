"""`run_eval` with a scripted generator (the model is not under test here): stored samples, verdicts,
the results table, and resuming a run that crashed mid-way (plus a torn last line)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from transformers import AutoTokenizer

from ltdata.errors import ConfigError
from ltrain.eval.config import EvalConfig
from ltrain.eval.runner import run_eval
from ltrain.generate import Generation, GenerationStats

# Outputs by item id; golds (by eye): gsm8k 78, 8, 15; bbh boolean_expressions True, True, False.
OUTPUTS = {
    "gsm8k_test_items301-306/0": "23 + 16 = 39, twice is 78.\n\n\\boxed{78}",
    "gsm8k_test_items301-306/1": "I think \\boxed{9}",
    "gsm8k_test_items301-306/2": "The answer is fifteen.",                      # no box
    "boolean_expressions/0": "\\boxed{\\text{True}}",
    "boolean_expressions/1": "\\boxed{False}",
    "boolean_expressions/2": "\\boxed{False}",
}


class ScriptedGenerator:
    """Answers each prompt with the scripted output of the item whose question it contains."""

    def __init__(self, tokenizer, items, *, fail_after: int | None = None):
        self.tokenizer, self.items, self.fail_after, self.calls = tokenizer, items, fail_after, 0

    def generate(self, prompts):
        out = []
        for ids in prompts:
            if self.fail_after is not None and self.calls >= self.fail_after:
                raise RuntimeError("simulated crash")
            self.calls += 1
            text = self.tokenizer.decode(ids)
            item = next(i for i in self.items if i.question in text)
            stats = GenerationStats(peak_tokens=len(ids) + 10, dep=100 * self.calls, compressions=self.calls % 2,
                                    output_tokens=10, seconds=0.5)
            out.append(Generation(prompt_ids=ids, output_ids=[1] * 10, text=OUTPUTS[item.id], stats=stats,
                                  finished=True))
        return out


@pytest.fixture
def setup(eval_data, tmp_path, byte_tokenizer_path, items):
    tokenizer = AutoTokenizer.from_pretrained(byte_tokenizer_path)
    config = EvalConfig(model=str(tmp_path / "no-model"), datasets=["gsm8k", "bbh"], limit=3,
                        out=str(tmp_path / "out"),
                        data={"gsm8k": str(eval_data / "gsm8k_test_items301-306.jsonl"),
                              "bbh": str(eval_data / "bbh")})
    return config, tokenizer, items["gsm8k"][:3] + items["bbh"][:3]


def read(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_samples_verdicts_and_table(setup):
    config, tokenizer, items = setup
    summary = run_eval(config, generator=ScriptedGenerator(tokenizer, items), tokenizer=tokenizer, progress=False)
    out = Path(config.out)
    gsm8k = read(out / "samples" / "gsm8k.jsonl")
    assert [(s["id"], s["answer"], s["verdict"], s["reason"]) for s in gsm8k] == [
        ("gsm8k_test_items301-306/0", "78", "correct", "number"),
        ("gsm8k_test_items301-306/1", "9", "wrong", "number"),
        ("gsm8k_test_items301-306/2", None, "wrong", "no_answer")]
    first = gsm8k[0]
    assert first["prompt"].startswith("Your role as an assistant") and first["prompt"].endswith(
        "Return your final response within \\boxed{}. " + items[0].question + "\n\n")     # the plain template
    assert first["stats"] == {"peak_tokens": len(tokenizer(first["prompt"])["input_ids"]) + 10, "dep": 100,
                              "compressions": 1, "output_tokens": 10, "seconds": 0.5}
    rows = {r["dataset"]: r for r in summary.to_dicts()}
    assert rows["gsm8k"]["acc"] == pytest.approx(100 / 3) and rows["bbh"]["acc"] == pytest.approx(200 / 3)
    assert rows["avg"]["acc"] == pytest.approx(50.0)
    assert rows["bbh"]["dep"] == pytest.approx((400 + 500 + 600) / 3) and rows["bbh"]["time_s"] == 1.5
    assert json.loads((out / "run.json").read_text())["method"] == "lightthinker"
    assert (out / "results.md").read_text().startswith("| Method | GSM8K Acc ↑ |")


def test_resume_after_a_crash_and_a_torn_line(setup):
    config, tokenizer, items = setup
    with pytest.raises(RuntimeError, match="simulated crash"):
        run_eval(config, generator=ScriptedGenerator(tokenizer, items, fail_after=4), tokenizer=tokenizer,
                 progress=False)
    bbh_file = Path(config.out) / "samples" / "bbh.jsonl"
    assert len(read(bbh_file)) == 1                        # 3 gsm8k + 1 bbh finished before the crash
    with open(bbh_file, "a") as fh:
        fh.write('{"id": "boolean_expressions/1", "dataset": "bb')
    again = ScriptedGenerator(tokenizer, items)
    summary = run_eval(config, generator=again, tokenizer=tokenizer, progress=False)
    assert again.calls == 2                                # only the two unfinished bbh items
    assert [s["id"] for s in read(bbh_file)] == ["boolean_expressions/0", "boolean_expressions/1",
                                                 "boolean_expressions/2"]
    assert {r["dataset"]: r["n"] for r in summary.to_dicts()} == {"gsm8k": 3, "bbh": 3, "avg": 6}

    with pytest.raises(ConfigError, match="different method"):
        run_eval(config.replace(generation={"method": "vanilla"}), generator=again, tokenizer=tokenizer,
                 progress=False)


def test_overwrite_regenerates_but_keeps_manual_verdicts(setup):
    config, tokenizer, items = setup
    run_eval(config, generator=ScriptedGenerator(tokenizer, items), tokenizer=tokenizer, progress=False)
    verdicts = Path(config.out) / "adjudications.jsonl"
    verdicts.write_text('{"dataset": "gsm8k", "id": "x/0", "answer": "y", "verdict": "wrong"}\n')
    fresh = ScriptedGenerator(tokenizer, items)
    run_eval(config.replace(generation={"method": "vanilla"}, overwrite=True), generator=fresh,
             tokenizer=tokenizer, progress=False)
    assert fresh.calls == 6 and json.loads((Path(config.out) / "run.json").read_text())["method"] == "vanilla"
    assert verdicts.read_text().count("\n") == 1


def test_config_problems_are_reported_together():
    with pytest.raises(ConfigError) as info:
        EvalConfig(datasets=["gsm8k", "math"], limit=0)
    assert info.value.problems == ["--model: a checkpoint directory is required",
                                   "--datasets: unknown math; choose from gsm8k, mmlu, gpqa, bbh",
                                   "--limit: must be at least 1, got 0"]
