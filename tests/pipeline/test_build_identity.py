"""Shards stay byte-identical across speed work, and a build needs neither transformers nor torch.

The pinned hashes are today's shards of the bundled sample data (the README's quick start: splitter
`thought`, every default) with both shipped tokenizers. They were produced with ltdata at commit
3eab668 (before the build-speed work of issue 15) by exactly `_build` below: the three sample files
named relative to `ltdata/sample_data` (so the `source` column does not depend on the checkout),
workers=1, processes=False; the hash is sha256 over each shard's file name and bytes, in name order.
"""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ltdata.config import BuildConfig
from ltdata.pipeline.build import SAMPLE_DATA, build
from ltdata.pipeline.saved import saved_tokenizer

PINNED = {
    "qwen": "908593fb37c97d8c5deee7af6e1c564f514107ff5f0e8da0dd2396db8c4365ba",
    "llama": "7707aa6448876ea1807c303abdabcac00656ff8fc0dd41e477c12bce96fd2282",
}
INPUTS = ["bespoke_sky-t1.jsonl", "marco-o1_cot.json", "r1_messages.jsonl"]
PLUGINS = Path(__file__).resolve().parents[1] / "plugins"
REPO = Path(__file__).resolve().parents[2]


def shards_hash(directory: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(directory.glob("shard-*.arrow")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _build(output: Path, **options) -> None:
    build(BuildConfig(input=INPUTS, output=str(output), workers=1, processes=False, progress=False, **options))


@pytest.mark.parametrize("name", ["qwen", "llama"])
def test_the_bundled_data_builds_to_the_pinned_bytes(name, tmp_path, monkeypatch, request):
    tokenizer = request.getfixturevalue("llama_tokenizer_path") if name == "llama" else None
    monkeypatch.setenv("LTDATA_CACHE", str(tmp_path / "cache"))
    monkeypatch.chdir(SAMPLE_DATA)
    _build(tmp_path / "cold", tokenizer=tokenizer)          # prepares the tokenizer with transformers
    _build(tmp_path / "warm", tokenizer=tokenizer)          # from the store
    assert shards_hash(tmp_path / "cold") == shards_hash(tmp_path / "warm") == PINNED[name]


@pytest.mark.slow
def test_a_build_with_a_prepared_tokenizer_imports_neither_transformers_nor_torch(tmp_path, monkeypatch):
    """Driver and worker processes of a real two-process build, with the store already holding the tokenizer."""
    monkeypatch.setenv("LTDATA_CACHE", str(tmp_path / "cache"))
    saved_tokenizer(BuildConfig(), scratch=tmp_path / "scratch")
    env = {**os.environ, "LTDATA_MODULE_PROBE": str(tmp_path / "probe"),
           "PYTHONPATH": os.pathsep.join([str(PLUGINS), str(REPO)])}
    script = ("import json, os, sys\n"
              "from ltdata.config import BuildConfig\n"
              "from ltdata.pipeline.build import build\n"
              "if __name__ == '__main__':\n"
              f"    build(BuildConfig(input={INPUTS!r}, output={str(tmp_path / 'out')!r}, workers=2, progress=False,\n"
              "                      splitter='module_probe:ModuleProbe'))\n"
              "    print(json.dumps({'pid': os.getpid(), 'transformers': 'transformers' in sys.modules,\n"
              "                      'torch': 'torch' in sys.modules}))\n")
    (tmp_path / "run.py").write_text(script)
    done = subprocess.run([sys.executable, str(tmp_path / "run.py")], cwd=SAMPLE_DATA, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    driver = json.loads(done.stdout.strip().splitlines()[-1])
    workers = [json.loads(line) for line in (tmp_path / "probe").read_text().splitlines()]
    assert not driver["transformers"] and not driver["torch"]
    assert workers and all(w["pid"] != driver["pid"] for w in workers), workers   # worker processes split
    assert not any(w["transformers"] or w["torch"] for w in workers), workers
    assert shards_hash(tmp_path / "out") == PINNED["qwen"]
