"""Training a built curriculum: stages in order, each step exactly its plan's samples, staged checkpoints, resume.

The curriculum is built here from 10 bundled Marco-o1 traces with the session's BPE: a vanilla warm-up
(10 samples, 1 epoch, shuffled) and a compression stage mixing LightThinker and vanilla 3:1 for 1.5
epochs, short to long (28 samples: LightThinker drops one record as over-long, 1.5 x 19 = 28.5). With a
global batch of 4 that is 2 + 7 steps, the last 2 warm-up samples sitting out. What a step trained on
is recorded where the rows enter the collator, and compared with the plan as
`ltdata.curriculum.load_curriculum` reads it and the shard rows as pyarrow reads them.
"""
from __future__ import annotations

import json
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
from transformers import AutoModelForCausalLM, AutoTokenizer

from ltdata.curriculum import Curriculum, build_curriculum, load_curriculum
from ltdata.errors import ConfigError, SchemaError
from ltdata.pipeline.build import SAMPLE_DATA
from ltrain.cli.main import main
from ltrain.train.checkpoint import LATEST
from ltrain.train.config import TrainConfig
from ltrain.train.plan import make_plan
from ltrain.train.progress import read_log
from ltrain.train.recipe import Recipe, train

GLOBAL_BATCH = 4
STAGE_STEPS = {"warmup": 2, "compress": 7}   # 10 // 4 and 28 // 4


def recipe(traces: Path, tokenizer: str, output: Path, seed: int = 11) -> dict:
    return {"output": str(output), "seed": seed,
            "build": {"input": [str(traces)], "tokenizer": tokenizer, "splitter": "tokens",
                      "splitter_options": {"tokens": 24}, "max_length": 192, "overlong": "truncate"},
            "stages": [
                {"name": "warmup", "sources": [{"build": {"mode": "vanilla"}}], "order": "shuffle"},
                {"name": "compress", "epochs": 1.5, "order": "sort",
                 "sources": [{"build": {"mode": "lightthinker"}, "weight": 3},
                             {"build": {"mode": "vanilla"}, "weight": 1}]},
            ]}


@pytest.fixture(scope="module")
def traces(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("curriculum-traces") / "marco10.json"
    path.write_text(json.dumps(json.loads((SAMPLE_DATA / "marco-o1_cot.json").read_text())[:10]), encoding="utf-8")
    return path


def build(traces: Path, tokenizer: str, output: Path, seed: int = 11):
    return build_curriculum(Curriculum.from_dict(recipe(traces, tokenizer, output, seed)), workers=1,
                            processes=False, progress=False)


@pytest.fixture(scope="module")
def built(traces, byte_tokenizer_path, tmp_path_factory):
    return build(traces, byte_tokenizer_path, tmp_path_factory.mktemp("curriculum") / "cur")


def run_config(model: Path, curriculum: Path, output: Path, **changes) -> TrainConfig:
    values = dict(model=str(model), curriculum=str(curriculum), output_dir=str(output), zero_stage=2,
                  micro_batch_size=2, global_batch_size=GLOBAL_BATCH, lr=1e-3, warmup_steps=1, save_every_steps=4,
                  save_every_epochs=1, progress=False, seed=0)
    return TrainConfig(**{**values, **changes})


class Recording:
    """The recipe's collator, keeping the input_ids of every row it is handed (what the model is fed)."""

    def __init__(self, collate):
        self.collate, self.micro_batches = collate, []

    def __call__(self, rows):
        self.micro_batches.append([tuple(int(t) for t in row["input_ids"]) for row in rows])
        return self.collate(rows)


@pytest.fixture(scope="module")
def run(built, tiny_qwen, tmp_path_factory):
    out = tmp_path_factory.mktemp("curriculum-run") / "run"
    recipe_ = Recipe(run_config(tiny_qwen, built.directory, out))
    try:
        recipe_.setup()
        recipe_.collator = recording = Recording(recipe_.collator)
        records = recipe_.train()
    finally:
        recipe_.close()
    return out, records, recording.micro_batches


def shard_rows(directory: str) -> list[dict]:
    manifest = json.loads((Path(directory) / "manifest.json").read_text())
    rows = []
    for shard in manifest["shards"]:
        with pa.memory_map(str(Path(directory) / shard["file"])) as source:
            rows += ipc.open_file(source).read_all().to_pylist()
    return rows


def expected_steps(directory: Path) -> list[list[dict]]:
    """Each step's rows straight from the plan: stage by stage, samples [s*G, (s+1)*G) of its order."""
    plan = load_curriculum(directory)
    steps = []
    for stage in plan.stages:
        rows = [shard_rows(d) for d in stage.sources]
        samples = [rows[s][r] for s, r in zip(stage.source.tolist(), stage.row.tolist())]
        steps += [samples[i:i + GLOBAL_BATCH] for i in range(0, len(samples) - GLOBAL_BATCH + 1, GLOBAL_BATCH)]
    return steps


def losses(records) -> list[float]:
    return [r["loss"] for r in records]


def test_stages_run_in_order_each_step_on_exactly_its_plans_samples(run, built):
    out, records, micro_batches = run
    assert [len(s) for s in load_curriculum(built.directory).stages] == [10, 28]
    assert [(r["stage"], r["stage_index"], r["stage_step"], r["stage_steps"]) for r in records] == \
        [("warmup", 0, s, 2) for s in (1, 2)] + [("compress", 1, s, 7) for s in range(1, 8)]
    assert [r["step"] for r in records] == list(range(1, 10)) and {r["total_steps"] for r in records} == {9}
    assert all(r["epoch"] is None for r in records) and read_log(out) == records
    expected = expected_steps(built.directory)
    assert len(expected) == len(records) == sum(STAGE_STEPS.values())
    fed = [micro_batches[2 * s] + micro_batches[2 * s + 1] for s in range(len(records))]   # 2 micro-batches a step
    assert len(micro_batches) == 2 * len(records)
    for step, (got, want) in enumerate(zip(fed, expected)):
        assert sorted(got) == sorted(tuple(row["input_ids"]) for row in want), f"step {step + 1}"
        assert records[step]["tokens"] == sum(row["num_tokens"] for row in want)
        assert records[step]["label_tokens"] == sum(sum(t != -100 for t in row["labels"][1:]) for row in want)
    # the warm-up is vanilla only; the compression stage feeds cache tokens (ids >= 600 are ltdata's)
    cache = json.loads((out / "step-000009" / "ltrain.json").read_text())["special_tokens"]["cache"]
    assert not any(set(cache) & set(ids) for batch in fed[:2] for ids in batch)
    assert any(set(cache) & set(ids) for batch in fed[2:] for ids in batch)


def test_checkpoints_record_their_stage_and_load_with_the_covering_tokenizer(run, built):
    out, _, _ = run
    assert sorted(p.name for p in out.glob("step-*")) == ["step-000002", "step-000004", "step-000008", "step-000009"]
    seen = []
    for name in ("step-000002", "step-000004", "step-000008", "step-000009"):
        meta = json.loads((out / name / "ltrain.json").read_text())
        seen.append((meta["step"], meta["stage"], meta["stage_index"], meta["stage_step"], meta["mode"]))
        assert meta["curriculum"] == str(built.directory) and meta["config"]["curriculum"] == str(built.directory)
        assert sorted(meta["curriculum_files"]) == ["curriculum.json", "stages/00-warmup.arrow",
                                                    "stages/01-compress.arrow"]
    assert seen == [(2, "warmup", 0, 2, "vanilla"), (4, "compress", 1, 2, "lightthinker"),
                    (8, "compress", 1, 6, "lightthinker"), (9, "compress", 1, 7, "lightthinker")]
    final = out / "step-000009"
    tokenizer = AutoTokenizer.from_pretrained(str(final))
    model = AutoModelForCausalLM.from_pretrained(str(final))
    assert model.get_input_embeddings().num_embeddings == len(tokenizer) == 616
    assert tokenizer.get_vocab() == AutoTokenizer.from_pretrained(str(built.tokenizer)).get_vocab()
    meta = json.loads((final / "ltrain.json").read_text())
    assert tokenizer.convert_tokens_to_ids("<|continue|>") == meta["special_tokens"]["continue"]
    assert [tokenizer.convert_tokens_to_ids(f"<|o_{i}|>") for i in range(9)] == meta["special_tokens"]["cache"]


def test_resume_mid_stage_two_continues_at_the_same_sample_on_the_same_curve(run, built, tiny_qwen, tmp_path):
    source, uninterrupted, _ = run
    shutil.copytree(source / "step-000004", tmp_path / "run" / "step-000004")
    (tmp_path / "run" / LATEST).write_text("step-000004\n")
    resumed = train(run_config(tiny_qwen, built.directory, tmp_path / "run", resume="auto"))
    assert [(r["step"], r["stage"], r["stage_step"]) for r in resumed] == [(s, "compress", s - 2) for s in range(5, 10)]
    np.testing.assert_allclose(losses(resumed), losses(uninterrupted)[4:], rtol=1e-6)
    assert [r["lr"] for r in resumed] == pytest.approx([r["lr"] for r in uninterrupted[4:]])
    assert [r["tokens"] for r in resumed] == [r["tokens"] for r in uninterrupted[4:]]


def test_the_cli_trains_a_curriculum_and_a_changed_plan_is_refused_on_resume(built, traces, byte_tokenizer_path,
                                                                              tiny_qwen, tmp_path, capsys):
    copy = tmp_path / "cur"
    shutil.copytree(built.directory, copy)
    out = tmp_path / "run"
    flags = ["train", "--model", str(tiny_qwen), "--curriculum", str(copy), "--output-dir", str(out),
             "--zero-stage", "2", "--micro-batch-size", "2", "--global-batch-size", "4", "--max-steps", "3",
             "--warmup-steps", "1", "--seed", "0", "--log-every", "1", "--no-progress"]
    assert main(flags) == 0
    printed = capsys.readouterr().out
    assert "ltrain: stage 1/2 'warmup': steps 1-2 (2 x 4 of 10 samples, the last 2 sit out), vanilla, from builds/" \
        in printed
    assert "ltrain: max_steps 3 stops the curriculum in stage 'compress' at its step 1 of 7" in printed
    assert "ltrain: step 2/3 | stage warmup 2/2 | loss " in printed
    assert "ltrain: step 3/3 | stage compress 1/7 | loss " in printed
    build(traces, byte_tokenizer_path, copy, seed=12)   # the same builds, another shuffle of the warm-up
    assert main(flags + ["--resume", "auto"]) == 2
    assert (f"resume: the curriculum {copy} changed since {out / 'step-000003'} was saved (curriculum.json, "
            f"stages/00-warmup.arrow differ)") in capsys.readouterr().err


def test_a_source_with_other_special_token_ids_than_the_covering_tokenizer_is_refused(built, tiny_qwen, tmp_path):
    copy = tmp_path / "cur"
    shutil.copytree(built.directory, copy)
    plan = load_curriculum(copy)
    covering = os.path.abspath(plan.tokenizer.parent)
    other = next(d for s in plan.stages for d in s.sources if os.path.abspath(d) != covering)
    manifest = json.loads((Path(other) / "manifest.json").read_text())
    manifest["special_tokens"]["continue"] = manifest["special_tokens"]["splitter"]
    (Path(other) / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ConfigError) as err:
        train(run_config(tiny_qwen, copy, tmp_path / "run"))
    users = [(k, s.name) for k, s in enumerate(plan.stages) if other in s.sources]
    assert [p.split(": ")[1] for p in err.value.problems] == [f"stage {name!r} (stages[{k}])" for k, name in users]
    assert all(f"{other} has special token ids {manifest['special_tokens']} but the covering tokenizer "
               f"{plan.tokenizer}" in p for p in err.value.problems)


def test_a_plan_naming_rows_its_shards_lack_is_refused(built, tiny_qwen, tmp_path):
    copy = tmp_path / "cur"
    shutil.copytree(built.directory, copy)
    path = copy / "stages" / "01-compress.arrow"
    table = ipc.open_file(pa.BufferReader(path.read_bytes())).read_all()   # a copy: the file is rewritten
    shifted = table.set_column(1, "row", pa.array(table["row"].to_numpy() + 100, pa.int64()))
    with pa.OSFile(str(path), "wb") as sink, ipc.new_file(sink, shifted.schema) as writer:
        writer.write_table(shifted)
    first = load_curriculum(copy).stages[1]
    with pytest.raises(SchemaError) as err:
        train(run_config(tiny_qwen, copy, tmp_path / "run"))
    assert str(err.value).startswith(f"curriculum: stage 'compress' (stages[1]) sample 0: row {first.row[0]} of "
                                     f"{first.sources[first.source[0]]} is not the row its plan names "
                                     f"({first.num_tokens[0]} tokens; 28 such samples)")


def test_ltrain_plan_expects_the_curriculums_mean_sample_length(built):
    cfg = TrainConfig(model="tiny-qwen2", curriculum=str(built.directory), micro_batch_size=2, global_batch_size=4)
    tokens = np.concatenate([s.num_tokens for s in load_curriculum(built.directory).stages])
    assert make_plan(cfg, gpus_per_node=1).expected_tokens_per_step == round(4 * tokens.mean())


def test_curriculum_configs_are_checked_before_anything_loads(built, tiny_qwen, tmp_path, capsys):
    with pytest.raises(ConfigError, match=r"curriculum: give data or curriculum, not both"):
        TrainConfig(model="m", data=["d"], curriculum="c")
    with pytest.raises(ConfigError) as err:
        train(run_config(tiny_qwen, built.directory, tmp_path / "run", global_batch_size=12))
    assert str(err.value) == (f"global_batch_size: stage 'warmup' of {built.directory} has 10 samples, fewer than "
                              f"one global batch of 12")
    # --curriculum replaces the preset's data (and --data a preset's curriculum); both flags are refused
    assert main(["train", "--config", "tiny", "--curriculum", "out/c", "--print-config"]) == 0
    printed = capsys.readouterr().out
    assert "\ndata: []\ncurriculum: out/c\n" in printed
    assert main(["train", "--config", "tiny", "--curriculum", "out/c", "--data", "out/d"]) == 2
    assert "ltrain: error: curriculum: give data or curriculum, not both" in capsys.readouterr().err


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_two_ranks_train_the_same_samples_per_step_as_one(run, built, tiny_qwen, tmp_path):
    """Global batch 4 as 1 x 2 accumulation x 2 ranks under torchrun vs 2 x 2 x 1 in this process."""
    out = tmp_path / "run"
    script = tmp_path / "ltrain_entry.py"
    script.write_text("import sys\nfrom ltrain.cli.main import main\nsys.exit(main())\n")
    env = {**os.environ, "DS_ACCELERATOR": "cpu", "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    command = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port",
               str(_free_port()), str(script), "train", "--model", str(tiny_qwen), "--curriculum",
               str(built.directory), "--output-dir", str(out), "--zero-stage", "2", "--micro-batch-size", "1",
               "--global-batch-size", "4", "--lr", "1e-3", "--warmup-steps", "1", "--save-every-epochs", "none",
               "--seed", "0", "--no-progress"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    _, reference, _ = run
    two = read_log(out)
    keys = ("step", "stage", "stage_step", "tokens", "label_tokens")
    assert [tuple(r[k] for k in keys) for r in two] == [tuple(r[k] for k in keys) for r in reference]
    np.testing.assert_allclose(losses(two), losses(reference), rtol=1e-5)
