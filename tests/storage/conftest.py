"""The storage tests' bucket on the session's S3 endpoint (moto's server with IAM checks, `tests/s3_endpoint.py`).

One user's keys may do anything, the other's nothing; made-up keys are refused, as on real S3.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow.json as pj
import pyarrow.parquet as pq
import pytest
from s3fs import S3FileSystem

SAMPLE = Path(__file__).resolve().parents[2] / "ltdata" / "sample_data"
READERS = Path(__file__).resolve().parents[1] / "data" / "readers"
BUCKET = "lt-data"


@dataclass(frozen=True)
class S3:
    """The endpoint, `storage_options` for an allowed and a denied user, and the uploaded files."""

    endpoint: str
    options: dict[str, Any]
    denied: dict[str, Any]
    local: Path          # a local directory holding exactly what `s3://lt-data/` holds

    def url(self, path: str) -> str:
        return f"s3://{BUCKET}/{path}"


def _options(endpoint: str, key: dict[str, str]) -> dict[str, Any]:
    return {"key": key["AccessKeyId"], "secret": key["SecretAccessKey"], "client_kwargs": {"endpoint_url": endpoint}}


@pytest.fixture(scope="session")
def s3(s3_endpoint, tmp_path_factory) -> S3:
    """`s3://lt-data/sample/` = the bundled sample data; `s3://lt-data/parquet/bespoke.parquet` = a Parquet file."""
    endpoint = s3_endpoint.url
    local = tmp_path_factory.mktemp("bucket")
    (local / "sample").mkdir()
    for path in SAMPLE.iterdir():
        (local / "sample" / path.name).write_bytes(path.read_bytes())
    (local / "parquet").mkdir()
    pq.write_table(pj.read_json(READERS / "bespoke.jsonl"), local / "parquet" / "bespoke.parquet", row_group_size=2)
    fs = S3FileSystem(**_options(endpoint, s3_endpoint.allowed))
    fs.mkdir(BUCKET)
    fs.put(f"{local}/", f"{BUCKET}/", recursive=True)
    return S3(endpoint=endpoint, options=_options(endpoint, s3_endpoint.allowed),
              denied=_options(endpoint, s3_endpoint.denied), local=local)
