"""Training runs on CPU (gloo): ZeRO-2 = ZeRO-3 = offload = 2 ranks, HF-loadable checkpoints, resume, overfitting.

The single-process runs happen in this process; the 2-rank runs go through `torchrun` or the
deepspeed launcher and the CLI, as a user starts them. Every run has the same global batch (4
sequences), split differently, so all follow one loss curve.
"""
from __future__ import annotations

import json
import math
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.ipc as ipc
import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from ltdata.errors import ConfigError
from ltdata.loading import Collator
from ltrain.train.checkpoint import LATEST
from ltrain.train.config import TrainConfig
from ltrain.train.data import StepSampler
from ltrain.train.progress import read_log
from ltrain.train.recipe import train

STEPS = 6


def run_config(model: Path, shards: Path, output: Path, **changes) -> TrainConfig:
    values = dict(model=str(model), data=[str(shards)], output_dir=str(output), zero_stage=2, micro_batch_size=2,
                  global_batch_size=4, max_steps=STEPS, lr=1e-3, warmup_steps=1, save_every_steps=3,
                  save_every_epochs=None, progress=False, seed=0)
    return TrainConfig(**{**values, **changes})


@pytest.fixture(scope="module")
def run_z2(tmp_path_factory, tiny_qwen, lightthinker_shards):
    out = tmp_path_factory.mktemp("z2") / "run"
    return out, train(run_config(tiny_qwen, lightthinker_shards, out))


@pytest.fixture(scope="module")
def run_z3(tmp_path_factory, tiny_qwen, lightthinker_shards):
    out = tmp_path_factory.mktemp("z3") / "run"
    return out, train(run_config(tiny_qwen, lightthinker_shards, out, zero_stage=3))


def losses(records) -> list[float]:
    return [r["loss"] for r in records]


def weights(checkpoint: Path) -> dict[str, torch.Tensor]:
    return AutoModelForCausalLM.from_pretrained(str(checkpoint)).state_dict()


def test_zero2_and_zero3_follow_the_same_curve_to_the_same_weights(run_z2, run_z3):
    (out2, rec2), (out3, rec3) = run_z2, run_z3
    assert [r["step"] for r in rec2] == list(range(1, STEPS + 1))
    np.testing.assert_allclose(losses(rec3), losses(rec2), rtol=1e-5)
    assert losses(rec2)[0] == pytest.approx(math.log(616), rel=0.02)    # random init over 616 tokens
    assert read_log(out2) == rec2
    final2, final3 = weights(out2 / "step-000006"), weights(out3 / "step-000006")
    assert final2.keys() == final3.keys()
    for key in final2:
        torch.testing.assert_close(final3[key], final2[key], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("stage, offload", [(2, {"offload_optimizer": True}),
                                           (3, {"offload_optimizer": True, "offload_params": True})])
def test_cpu_offload_follows_the_same_curve(stage, offload, run_z2, tmp_path, tiny_qwen, lightthinker_shards):
    records = train(run_config(tiny_qwen, lightthinker_shards, tmp_path / "run", zero_stage=stage,
                               save_every_steps=None, **offload))
    np.testing.assert_allclose(losses(records), losses(run_z2[1]), rtol=1e-5)


def test_a_checkpoint_is_a_from_pretrained_directory_with_tokenizer_and_metadata(run_z3, lightthinker_shards):
    out, _ = run_z3
    checkpoint = out / "step-000003"
    assert (out / LATEST).read_text().strip() == "step-000006"
    manifest = json.loads((lightthinker_shards / "manifest.json").read_text())
    tokenizer = AutoTokenizer.from_pretrained(str(checkpoint))
    model = AutoModelForCausalLM.from_pretrained(str(checkpoint))
    assert model.get_input_embeddings().num_embeddings == len(tokenizer) == 616
    meta = json.loads((checkpoint / "ltrain.json").read_text())
    assert meta["special_tokens"] == manifest["special_tokens"]
    assert tokenizer.convert_tokens_to_ids("<|continue|>") == meta["special_tokens"]["continue"]
    assert [tokenizer.convert_tokens_to_ids(f"<|o_{i}|>") for i in range(9)] == meta["special_tokens"]["cache"]
    assert (meta["mode"], meta["cache_tokens"], meta["template"], meta["stage"], meta["step"]) == \
           ("lightthinker", 9, "plain", "main", 3)
    assert meta["config"] == run_config(Path(meta["config"]["model"]), lightthinker_shards, out,
                                        zero_stage=3).to_dict()
    assert (checkpoint / "deepspeed").is_dir() and (checkpoint / "rng" / "rank-0.pt").exists()
    assert not list(out.glob(".*tmp*"))


def _rows(shards: Path) -> list[dict]:
    manifest = json.loads((shards / "manifest.json").read_text())
    rows = []
    for shard in manifest["shards"]:
        with pa.memory_map(str(shards / shard["file"])) as source:
            rows += ipc.open_file(source).read_all().to_pylist()
    return rows


def test_the_logged_loss_is_the_token_mean_over_the_whole_step(run_z2, lightthinker_shards):
    """HF's own loss on step 4's four samples in one batch, from the step-3 weights, = our step-4 loss."""
    out, records = run_z2
    rows = _rows(lightthinker_shards)
    samples = StepSampler(np.array([r["num_tokens"] for r in rows]), micro_batch=2, accumulation=2, world_size=1,
                          rank=0, seed=0, total_steps=STEPS).step_samples(3)
    batch = Collator(0)([rows[i] for i in samples])
    labels = sum(sum(1 for t in rows[i]["labels"][1:] if t != -100) for i in samples)
    assert records[3]["label_tokens"] == labels
    assert records[3]["tokens"] == sum(rows[i]["num_tokens"] for i in samples)
    model = AutoModelForCausalLM.from_pretrained(str(out / "step-000003"), attn_implementation="eager")
    with torch.no_grad():
        hf = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                   position_ids=batch["position_ids"], labels=batch["labels"]).loss
    assert records[3]["loss"] == pytest.approx(float(hf), rel=1e-5)


def test_resume_auto_continues_the_same_curve(run_z3, tmp_path, tiny_qwen, lightthinker_shards):
    source, uninterrupted = run_z3
    shutil.copytree(source / "step-000003", tmp_path / "run" / "step-000003")
    (tmp_path / "run" / LATEST).write_text("step-000003\n")
    cfg = run_config(tiny_qwen, lightthinker_shards, tmp_path / "run", zero_stage=3, resume="auto")
    resumed = train(cfg)
    assert [r["step"] for r in resumed] == [4, 5, 6]
    np.testing.assert_allclose(losses(resumed), losses(uninterrupted)[3:], rtol=1e-6)
    assert [r["lr"] for r in resumed] == pytest.approx([r["lr"] for r in uninterrupted[3:]])
    with pytest.raises(ConfigError) as err:   # a changed curve is refused, naming each key
        train(cfg.replace(output_dir=str(tmp_path / "other"), resume=str(source / "step-000003"), lr=5e-4, seed=1))
    assert [p.split(" was ")[0] for p in err.value.problems] == ["resume: seed", "resume: lr"]
    with pytest.raises(ConfigError, match="already holds checkpoints; set resume: auto"):
        train(cfg.replace(resume=None))


def test_overfitting_a_small_set_drops_the_loss(tmp_path, tiny_qwen, lightthinker_shards):
    records = train(run_config(tiny_qwen, lightthinker_shards, tmp_path / "run", max_steps=36, lr=3e-3,
                               lr_schedule="constant", save_every_steps=None))
    curve = losses(records)
    assert curve[0] > 6.0 and max(curve[-3:]) < 0.6 * curve[0]


@pytest.mark.parametrize("mode, changes", [
    ("vanilla", {"attn_implementation": "eager"}),
    ("anllm", {"zero_stage": 3, "bf16": True, "gradient_checkpointing": True}),
])
def test_every_mode_trains_and_is_recorded(mode, changes, tmp_path, tiny_llama, shard_factory):
    shards = shard_factory(mode)
    records = train(run_config(tiny_llama, shards, tmp_path / "run", max_steps=2, save_every_steps=None, **changes))
    assert [r["step"] for r in records] == [1, 2] and all(math.isfinite(r["loss"]) for r in records)
    assert records[0]["loss"] == pytest.approx(math.log(616), rel=0.05)
    meta = json.loads((tmp_path / "run" / "step-000002" / "ltrain.json").read_text())
    assert (meta["mode"], meta["cache_tokens"]) == (mode, {"vanilla": 9, "anllm": 1}[mode])
    reloaded = AutoModelForCausalLM.from_pretrained(str(tmp_path / "run" / "step-000002"))
    assert reloaded.dtype == (torch.bfloat16 if changes.get("bf16") else torch.float32)


def test_the_cli_trains_from_a_yaml_config_with_overrides(tmp_path, tiny_qwen, shard_factory, capsys):
    from ltrain.cli.main import main

    recipe = tmp_path / "run.yaml"
    recipe.write_text(f"model: {tiny_qwen}\ndata: [{shard_factory('vanilla')}]\noutput_dir: {tmp_path / 'run'}\n"
                      f"zero_stage: 2\nmicro_batch_size: 2\nglobal_batch_size: 4\nmax_steps: 20\nlog_every: 1\n")
    assert main(["train", "--config", str(recipe), "--max-steps", "2", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "ltrain: step 2/2 | epoch 0.67 | loss " in out and "tok/s" in out
    assert out.rstrip().endswith(f"ltrain: done: step 2, loss {read_log(tmp_path / 'run')[-1]['loss']:.4f}; "
                                 f"checkpoints in {tmp_path / 'run'}/")
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == ["latest", "log.jsonl", "step-000002"]


def test_flex_attention_is_refused_on_cpu(tmp_path, tiny_qwen, lightthinker_shards):
    with pytest.raises(ConfigError, match="flex_attention cannot train on CPU"):
        train(run_config(tiny_qwen, lightthinker_shards, tmp_path / "run", attn_implementation="flex_attention"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch(launcher: str, tmp_path: Path, args: list[str]) -> subprocess.CompletedProcess:
    """Two ranks of `<ltrain> train ...` under torchrun or the deepspeed launcher, the way a user starts them."""
    script = tmp_path / "ltrain_entry.py"
    script.write_text("import sys\nfrom ltrain.cli.main import main\nsys.exit(main())\n")
    env = {**os.environ, "DS_ACCELERATOR": "cpu", "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    port = str(_free_port())
    runner = {"torchrun": ["torch.distributed.run", "--nproc_per_node", "2", "--master_port", port],
              "deepspeed": ["deepspeed.launcher.runner", "--no_local_rank", "--num_gpus", "2", "--master_port", port]}
    command = [sys.executable, "-m", *runner[launcher], str(script), "train", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.slow
@pytest.mark.parametrize("launcher, stage, micro", [("torchrun", 3, 1), ("deepspeed", 2, 2)])
def test_two_ranks_follow_the_single_process_curve(launcher, stage, micro, run_z2, tmp_path, tiny_qwen,
                                                   lightthinker_shards):
    """Global batch 4 as 1 x 2 accumulation x 2 ranks (ZeRO-3) and 2 x 1 x 2 (ZeRO-2) vs 2 x 2 x 1 here."""
    out = tmp_path / "run"
    done = launch(launcher, tmp_path, ["--model", str(tiny_qwen), "--data", str(lightthinker_shards), "--output-dir",
                                       str(out), "--zero-stage", str(stage), "--micro-batch-size", str(micro),
                                       "--global-batch-size", "4", "--max-steps", str(STEPS), "--lr", "1e-3",
                                       "--warmup-steps", "1", "--save-every-epochs", "none", "--seed", "0",
                                       "--no-progress"])
    assert done.returncode == 0, done.stderr[-3000:]
    assert "2 rank(s)" in done.stdout and f"ZeRO-{stage}" in done.stdout
    reference_dir, reference = run_z2
    np.testing.assert_allclose(losses(read_log(out)), losses(reference), rtol=1e-5)
    final, expected = weights(out / "step-000006"), weights(reference_dir / "step-000006")
    for key in expected:
        torch.testing.assert_close(final[key], expected[key], rtol=1e-4, atol=1e-5)
