"""`ltdata verify` passes real builds of every mode and names the first corrupted row exactly."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.ipc as ipc
import pytest

from ltdata.cli.main import main
from ltdata.config import BuildConfig
from ltdata.pipeline.build import SAMPLE_DATA, build
from ltdata.records import Role

MARCO = SAMPLE_DATA / "marco-o1_cot.json"


def make_build(output: Path, tokenizer: str, **options) -> Path:
    build(BuildConfig(input=[str(MARCO)], output=str(output), tokenizer=tokenizer, workers=1, processes=False,
                      progress=False, splitter="sentence", max_length=320, overlong="truncate", shard_size=4,
                      **{"cache_tokens": 3, **options}))
    return output


@pytest.fixture(scope="module")
def built(byte_tokenizer_path, tmp_path_factory) -> Path:
    return make_build(tmp_path_factory.mktemp("verify") / "out", byte_tokenizer_path)


@pytest.fixture
def copy(built, tmp_path) -> Path:
    target = tmp_path / "copy"
    shutil.copytree(built, target)
    return target


def edit_row(directory: Path, shard: str, row: int, edit) -> dict:
    """Rewrite one row of one shard through `edit(row_dict)`; return the edited row."""
    path = directory / shard
    with pa.OSFile(str(path)) as source:
        table = ipc.open_file(source).read_all()
    rows = table.to_pylist()
    edit(rows[row])
    with ipc.new_file(str(path), table.schema) as writer:
        writer.write_table(pa.Table.from_pylist(rows, schema=table.schema))
    return rows[row]


def run(directory: Path, capsys) -> tuple[int, str, str]:
    code = main(["verify", str(directory)])
    out, err = capsys.readouterr()
    return code, out.strip(), err.strip()


@pytest.mark.parametrize("options", [{}, {"mode": "anllm", "cache_tokens": None}, {"mode": "vanilla"},
                                     {"see_current": True, "exclude_continue": True}], ids=str)
def test_real_builds_of_every_mode_verify(options, byte_tokenizer_path, tmp_path, capsys):
    out = make_build(tmp_path / "out", byte_tokenizer_path, **options)
    code, stdout, _ = run(out, capsys)
    manifest = json.loads((out / "manifest.json").read_text())
    thoughts = 0
    for shard in manifest["shards"]:
        with pa.OSFile(str(out / shard["file"])) as source:
            thoughts += sum(ipc.open_file(source).read_all().column("num_thoughts").to_pylist())
    assert code == 0
    assert stdout == (f"{out}: OK: {manifest['counts']['records_written']} rows, {manifest['counts']['tokens']:,} "
                      f"tokens, {thoughts} thoughts in 4 shard(s), mode {manifest['mode']}; lengths, roles, labels, "
                      f"positions, masks and text check out")


def test_a_thought_visible_one_row_too_long_is_named(copy, capsys):
    def widen(row):
        role, thought = np.array(row["role"]), np.array(row["thought_index"])
        first = int(np.flatnonzero((role == Role.THOUGHT) & (thought == 1))[0])
        cont = int(np.flatnonzero((role == Role.CONTINUE) & (thought == 1))[0])
        row["visible_until"][first] = cont + 1
        widen.where = (first, cont)

    row = edit_row(copy, "shard-00002.arrow", 1, widen)
    first, cont = widen.where
    code, _, err = run(copy, capsys)
    assert code == 1
    assert err == (f"ltdata: error: shard-00002.arrow row 1 (id={row['record_id']!r}): column 'visible_until': "
                   f"token {first} (thought, thought 1) has {cont + 1}, expected {cont} (a thought and its splitter "
                   f"are hidden from their block's <|continue|> on, other keys never)")


def test_an_untrained_thought_token_is_named(copy, capsys):
    def untrain(row):
        at = row["role"].index(Role.THOUGHT)
        row["labels"][at] = -100
        untrain.at = at

    row = edit_row(copy, "shard-00001.arrow", 3, untrain)
    code, _, err = run(copy, capsys)
    assert code == 1
    assert err.startswith(f"ltdata: error: shard-00001.arrow row 3 (id={row['record_id']!r}): column 'labels' must "
                          "equal input_ids on trained tokens")
    assert err.endswith(f"token {untrain.at} has -100")


def test_a_wrong_length_and_a_missing_splitter_are_named(copy, capsys):
    row = edit_row(copy, "shard-00000.arrow", 0, lambda r: r.update(num_tokens=r["num_tokens"] + 1))
    code, _, err = run(copy, capsys)
    assert code == 1 and err == (f"ltdata: error: shard-00000.arrow row 0 (id={row['record_id']!r}): num_tokens is "
                                 f"{row['num_tokens']} but the row has {row['num_tokens'] - 1} tokens")

    def drop_splitter_role(r):
        r["num_tokens"] -= 1
        r["role"][r["role"].index(Role.SPLITTER)] = Role.THOUGHT

    edit_row(copy, "shard-00000.arrow", 0, drop_splitter_role)
    code, _, err = run(copy, capsys)
    assert code == 1 and "shard-00000.arrow row 0" in err and "column 'role'" in err


def test_a_different_tokenizer_breaks_the_text_check(copy, qwen_tokenizer_path, capsys):
    shutil.rmtree(copy / "tokenizer")
    shutil.copytree(qwen_tokenizer_path, copy / "tokenizer")
    code, _, err = run(copy, capsys)
    assert code == 1
    assert err.startswith("ltdata: error: shard-00000.arrow row 0 (id='marco-o1_cot-00000'): the prompt text at "
                          "tokens 0..")
    assert "does not survive decoding and re-encoding with the saved tokenizer" in err


def test_an_unreadable_schema_version_is_refused(copy, capsys):
    manifest = json.loads((copy / "manifest.json").read_text())
    (copy / "manifest.json").write_text(json.dumps({**manifest, "schema_version": "2.0"}))
    code, _, err = run(copy, capsys)
    assert code == 1 and "schema version 2.0 is not readable" in err
