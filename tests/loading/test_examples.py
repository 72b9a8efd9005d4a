"""The trainer recipes in examples/trainers/ run for 2 steps on tiny random Qwen2 and Llama models.

Each must give finite losses, and its first loss must differ from the same run without the mask
(the first step's weights are identical, so only the mask can change it): the mask is really used.
"""
from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "trainers"


def recipe(name: str):
    spec = importlib.util.spec_from_file_location(f"recipe_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module", params=["qwen2", "llama"])
def model_dir(request, tiny_model, vocab, tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp(request.param)
    tiny_model(request.param, vocab).save_pretrained(str(path))
    return str(path)


def first_losses(run, **options) -> tuple[list[float], list[float]]:
    masked = run(steps=2, **options)
    plain = run(steps=1, mask="none", **options)
    return masked, plain


@pytest.mark.slow
@pytest.mark.parametrize("name", ["hf_trainer", "trl_sft"])
def test_hf_style_recipes_train_with_the_mask(name, model_dir, marco_build, tmp_path):
    train = recipe(name).train
    masked, plain = first_losses(lambda **o: train(str(marco_build), model_dir, output=str(tmp_path / "out"),
                                                   learning_rate=1e-3, **o))
    assert len(masked) == 2 and all(math.isfinite(x) for x in masked)
    assert masked[0] != plain[0]


@pytest.mark.parametrize("pack", [None, 640])
def test_plain_loop_trains_with_the_mask(pack, model_dir, marco_build):
    train = recipe("plain_loop").train
    masked, plain = first_losses(lambda **o: train(str(marco_build), model_dir, max_tokens=1280, pack=pack,
                                                   learning_rate=1e-3, **o))
    assert len(masked) == 2 and all(math.isfinite(x) for x in masked)
    assert abs(masked[0] - plain[0]) > 1e-4
    assert recipe("plain_loop").main(["--shards", str(marco_build), "--model", model_dir, "--steps", "1"]) == 0
