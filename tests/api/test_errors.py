"""What the CLI refuses, the library refuses with the same typed exception and the same one-line message."""
from __future__ import annotations

from pathlib import Path

import pytest

import ltdata
from ltdata.cli.main import main

MALFORMED = Path(__file__).resolve().parents[1] / "data" / "malformed_bespoke.jsonl"


@pytest.mark.parametrize("flags, options, error", [
    (["--input", str(MALFORMED), "--format", "bespoke"], {"source": MALFORMED, "format": "bespoke"}, ltdata.RecordError),
    (["--shard-size", "0"], {"shard_size": 0}, ltdata.ConfigError),
    (["--format", "bespok"], {"format": "bespok"}, ltdata.ConfigError),
    (["--splitter", "ltdata_no_such_module:Splitter"], {"splitter": "ltdata_no_such_module:Splitter"},
     ltdata.PluginError),
    (["--tokenizer", "/nonexistent/tokenizer"], {"tokenizer": "/nonexistent/tokenizer"}, ltdata.ConfigError),
])
def test_the_cli_and_the_library_refuse_alike(flags, options, error, cfg, records_file, tmp_path, capsys):
    defaults = ["--input", str(records_file), "--tokenizer", cfg.tokenizer, "--workers", "1", "--no-processes",
                "--no-progress", "--max-length", "none"]
    assert main(["build", *defaults, *flags, "--output", str(tmp_path / "cli")]) != 0     # exit codes: the CLI's
    printed = capsys.readouterr().err.strip().splitlines()[-1]
    source = options.pop("source", records_file)
    with pytest.raises(error) as caught:
        ltdata.build(source, tmp_path / "library", cfg.replace(shard_size=500), **options)
    assert type(caught.value) is error and printed == f"ltdata: error: {caught.value}"


def test_unknown_keywords_and_a_non_empty_output_are_config_errors(cfg, records, tmp_path):
    with pytest.raises(ltdata.ConfigError, match="config: unknown key 'shard_sise' \\(did you mean 'shard_size'\\?\\)"):
        ltdata.build(records, tmp_path / "out", cfg, shard_sise=3)
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "thesis.tex").write_text("precious")
    with pytest.raises(ltdata.ConfigError, match="is not empty; use --resume"):
        ltdata.build(records, tmp_path / "taken", cfg)
    with pytest.raises(ltdata.ConfigError, match="does not look like an ltdata output"):
        ltdata.build(records, tmp_path / "taken", cfg, overwrite=True)
    assert (tmp_path / "taken" / "thesis.tex").read_text() == "precious"
