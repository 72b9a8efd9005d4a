"""The `ltdata` command as a user runs it: exit codes, one-line messages, recipes, views."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from ltdata.cli.main import main
from ltdata.pipeline.build import SAMPLE_DATA

REPO = Path(__file__).resolve().parents[2]
TEST_DATA = REPO / "tests" / "data"
SMALL = TEST_DATA / "readers" / "bespoke.jsonl"
QUIET = ["--workers", "1", "--no-processes", "--no-progress"]


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cli") / "out"
    assert main(["build", "--input", str(SMALL), "--output", str(out), "--max-length", "none", *QUIET]) == 0
    return out


def test_build_reports_what_it_wrote(built):
    manifest = json.loads((built / "manifest.json").read_text())
    records = [json.loads(line) for line in SMALL.read_text().splitlines() if line.strip()]
    assert manifest["counts"]["records_read"] == manifest["counts"]["records_written"] == len(records)
    assert (built / "tokenizer" / "tokenizer.json").exists()


def test_build_summary_line(tmp_path, capsys):
    code, out, _ = run(capsys, "build", "--input", str(SMALL), "--output", str(tmp_path / "o"),
                       "--max-length", "none", *QUIET)
    records = sum(1 for line in SMALL.read_text().splitlines() if line.strip())
    assert code == 0
    assert out.startswith(f"ltdata: wrote {records} of {records} records (")
    assert out.rstrip().endswith("rejected 0, dropped 0 over-long, truncated 0")


@pytest.mark.parametrize("argv, needle", [
    (["--cache-tokens", "0"], "cache_tokens: must be a positive integer, got 0"),
    (["--resume", "--overwrite"], "choose one of --resume and --overwrite"),
    (["--mode", "anllm", "--cache-tokens", "4"], "anllm mode uses exactly one anchor token"),
    (["--tokenizer", "/no/such/tokenizer"], "tokenizer: cannot load '/no/such/tokenizer'"),
    (["--splitter", "no_such_module:Nope"], "no_such_module"),
    (["--min-thought-tokens", "0"], "min_thought_tokens: must be a positive integer or None (off), got 0"),
    (["--min-thought-tokens", "64", "--max-thought-tokens", "32"],
     "min_thought_tokens: must not exceed max_thought_tokens, got 64 > 32"),
    (["--splitter-option", "min_thought_tokens=36"], "splitter_options.min_thought_tokens: a build option, not a "
                                                    "splitter option; use --min-thought-tokens"),
])
def test_configuration_problems_exit_2_with_one_line(tmp_path, capsys, argv, needle):
    code, out, err = run(capsys, "build", "--input", str(SMALL), "--output", str(tmp_path / "o"), *QUIET, *argv)
    assert code == 2, err
    assert err.startswith("ltdata: error: ") and needle in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_unreachable_scheduler_is_a_configuration_error(tmp_path, capsys):
    code, _, err = run(capsys, "build", "--input", str(SMALL), "--output", str(tmp_path / "o"),
                       "--scheduler", "tcp://127.0.0.1:9", "--no-progress")
    assert code == 2
    assert err.startswith("ltdata: error: ") and "127.0.0.1:9" in err and len(err.strip().splitlines()) == 1


def test_non_empty_output_is_refused(built, capsys):
    code, _, err = run(capsys, "build", "--input", str(SMALL), "--output", str(built), *QUIET)
    assert code == 2 and "is not empty; use --resume" in err


def test_bad_record_exits_1_naming_file_line_id_and_field(tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    good = SMALL.read_text().splitlines()[0]
    record = json.loads(good)
    record["id"] = "bs-broken"
    record["conversations"][1]["value"] = record["conversations"][1]["value"].replace("<|end_of_thought|>", "")
    bad.write_text(good + "\n" + json.dumps(record) + "\n")
    code, _, err = run(capsys, "build", "--input", str(bad), "--output", str(tmp_path / "o"), "--format", "bespoke",
                       "--max-length", "none", *QUIET)
    assert code == 1
    assert err.startswith(f"ltdata: error: {bad}:2 (id='bs-broken'): field 'conversations[1].value'")
    assert len(err.strip().splitlines()) == 1


def test_every_shipped_recipe_validates(capsys, monkeypatch):
    monkeypatch.chdir(REPO)
    recipes = sorted(str(p.relative_to(REPO)) for p in (REPO / "pipelines").glob("*.yaml"))
    assert len(recipes) >= 6
    code, out, _ = run(capsys, "validate", *recipes)
    assert code == 0, out
    assert out.splitlines() == [f"{r}: ok" for r in recipes]


def test_validate_reports_every_problem_at_once(tmp_path, capsys):
    recipe = tmp_path / "bad.yaml"
    recipe.write_text(yaml.safe_dump({"splittr": "thought", "mode": "compressed", "max_length": -3,
                                      "input": ["/no/such/file.jsonl"]}))
    code, out, _ = run(capsys, "validate", str(recipe))
    lines = out.splitlines()
    assert code == 2
    assert lines == [
        f"{recipe}: 4 problem(s)",
        f"  - {recipe}: unknown key 'splittr' (did you mean 'splitter'?)",
        "  - mode: must be one of lightthinker, vanilla, anllm; got 'compressed'",
        "  - max_length: must be a positive integer, got -3",
        "  - input: no such file, directory or glob match: /no/such/file.jsonl",
    ]


def test_recipe_values_are_overridden_by_flags(tmp_path, capsys):
    recipe = tmp_path / "r.yaml"
    recipe.write_text(yaml.safe_dump({"input": [str(SMALL)], "output": str(tmp_path / "from-recipe"),
                                      "cache_tokens": 5, "max_length": None, "progress": False}))
    code, _, err = run(capsys, "build", "--config", str(recipe), "--cache-tokens", "3",
                       "--output", str(tmp_path / "from-flag"), "--workers", "1", "--no-processes")
    assert code == 0, err
    manifest = json.loads((tmp_path / "from-flag" / "manifest.json").read_text())
    assert manifest["cache_tokens"] == 3 and not (tmp_path / "from-recipe").exists()


def test_inspect_and_stats(built, capsys, tmp_path):
    record_id = json.loads(SMALL.read_text().splitlines()[0])["id"]
    code, out, _ = run(capsys, "inspect", str(built), "--record", record_id, "--png", str(tmp_path / "m.png"))
    assert code == 0 and record_id in out and (tmp_path / "m.png").read_bytes()[:4] == b"\x89PNG"
    code, out, _ = run(capsys, "inspect", str(built), "--record", "no-such-id")
    assert code != 0
    code, out, _ = run(capsys, "stats", str(built), "--png", str(tmp_path / "s.png"))
    assert code == 0 and (tmp_path / "s.png").read_bytes()[:4] == b"\x89PNG"


def test_plugins_lists_builtins(capsys):
    code, out, _ = run(capsys, "plugins")
    names = {line.split()[0] for line in out.splitlines() if line.startswith("  ")}
    assert code == 0
    assert {"bespoke", "sharegpt", "messages", "openthoughts", "thoughts", "plain"} <= names
    assert {"thought", "sentence", "tokens", "balanced"} <= names


def test_stats_compares_builds_side_by_side(built, tmp_path, capsys):
    bounded = tmp_path / "k36"
    code, _, err = run(capsys, "build", "--input", str(SMALL), "--output", str(bounded), "--max-length", "none",
                       "--min-thought-tokens", "36", *QUIET)
    assert code == 0, err
    code, out, _ = run(capsys, "stats", str(built), str(bounded), "--png", str(tmp_path / "c.png"))
    lines = out.splitlines()
    assert code == 0 and (tmp_path / "c.png").read_bytes()[:4] == b"\x89PNG"
    assert lines[0].split() == [built.name, "k36"]
    assert lines[1].split() == ["splitter", "thought", "thought", "K=36"]
    p10 = [float(x) for x in lines[lines.index(next(l for l in lines if l.startswith("tokens per thought p10")))]
           .split()[-2:]]
    assert p10[0] < 36 <= p10[1]
    assert out.rstrip().endswith(f"ltdata: wrote {tmp_path / 'c.png'}")


def test_stats_compares_builds_not_curricula(built, tmp_path, capsys):
    (tmp_path / "curriculum.json").write_text("{}")
    code, _, err = run(capsys, "stats", str(built), str(tmp_path))
    assert code == 2
    assert err.strip() == (f"ltdata: error: stats: {tmp_path} is a curriculum; several directories are compared "
                           "only as builds (give a curriculum alone)")


def test_default_build_uses_the_bundled_sample_data(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, "build", "--splitter", "thought", "--max-length", "none", *QUIET)
    manifest = json.loads((tmp_path / "ltdata-out" / "manifest.json").read_text())
    assert code == 0
    assert {Path(i["path"]).name for i in manifest["inputs"]} == {p.name for p in SAMPLE_DATA.glob("*.json*")}
    assert manifest["counts"]["records_written"] == manifest["counts"]["records_read"] == 65


def test_system_prompt_none_means_no_system_turn(tmp_path, capsys):
    """`--system-prompt none` is "not set", as in `ltrain eval`; it once became a system turn reading 'none'."""
    import pyarrow.ipc as ipc
    from transformers import AutoTokenizer

    marco = SAMPLE_DATA / "marco-o1_cot.json"
    rows = {}
    for name, value in (("none", "none"), ("text", "Be brief.")):
        out = tmp_path / name
        code, _, err = run(capsys, "build", "--input", str(marco), "--output", str(out), "--max-length", "none",
                           "--system-prompt", value, *QUIET)
        assert code == 0, err
        tokenizer = AutoTokenizer.from_pretrained(str(out / "tokenizer"))
        row = ipc.open_file(str(next(out.glob("shard-*.arrow")))).read_all().slice(0, 1).to_pylist()[0]
        prompt = [t for t, role in zip(row["input_ids"], row["role"]) if role == 1]
        rows[name] = tokenizer.decode(prompt)
    assert rows["none"].startswith("<|im_start|>user\n") and "none" not in rows["none"].split("user")[0]
    assert rows["text"].startswith("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\n")
