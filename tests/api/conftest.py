"""Fixtures for the library API tests: real Bespoke records, a fast build configuration, shard readers."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

import ltdata
from api_helpers import BESPOKE

N_RECORDS = 5


@pytest.fixture(scope="session")
def cfg(byte_tokenizer_path) -> ltdata.BuildConfig:
    """The session's byte-level BPE (loads in milliseconds), threads in this process, 2 records per shard."""
    return ltdata.BuildConfig(tokenizer=byte_tokenizer_path, workers=1, processes=False, progress=False,
                              max_length=None, shard_size=2)


@pytest.fixture(scope="session")
def records() -> list[dict]:
    """The first five real Sky-T1 traces of the bundled sample, as parsed JSON objects."""
    lines = BESPOKE.read_text(encoding="utf-8").splitlines()[:N_RECORDS]
    return [json.loads(line) for line in lines]


@pytest.fixture(scope="session")
def records_file(tmp_path_factory, records) -> Path:
    """The same five records, byte for byte, as a JSONL file of their own."""
    path = tmp_path_factory.mktemp("records") / "five.jsonl"
    lines = BESPOKE.read_bytes().splitlines(keepends=True)[:N_RECORDS]
    path.write_bytes(b"".join(lines))
    return path


@pytest.fixture(scope="session")
def file_build(tmp_path_factory, cfg, records_file) -> Path:
    """The reference: `ltdata.build` of the JSONL file."""
    out = tmp_path_factory.mktemp("file_build") / "out"
    ltdata.build(records_file, out, cfg)
    return out
