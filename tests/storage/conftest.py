"""A real S3 endpoint for the storage tests: moto's server on localhost, with its IAM checks on.

moto accepts any credentials unless told to check them; `/moto-api/reset-auth` lets the first few
requests through unchecked (they create two IAM users) and checks every request after that. So one
user may do everything, one may do nothing, and made-up keys are refused, as on real S3. The keys are
moto's own, made for this session; no real credentials are ever used.
"""
from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pyarrow.json as pj
import pyarrow.parquet as pq
import pytest
from moto.server import ThreadedMotoServer
from s3fs import S3FileSystem

SAMPLE = Path(__file__).resolve().parents[2] / "ltdata" / "sample_data"
READERS = Path(__file__).resolve().parents[1] / "data" / "readers"
BUCKET = "lt-data"
ALLOW_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}


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


def _check_credentials_after(endpoint: str, requests: float) -> None:
    """Let the next `requests` requests through unchecked, then check every one (`inf`: never check)."""
    request = urllib.request.Request(f"{endpoint}/moto-api/reset-auth", data=str(requests).encode(), method="POST",
                                     headers={"Content-Type": "text/plain"})
    urllib.request.urlopen(request).read()


@pytest.fixture(scope="session")
def s3(tmp_path_factory) -> Iterator[S3]:
    """`s3://lt-data/sample/` = the bundled sample data; `s3://lt-data/parquet/bespoke.parquet` = a Parquet file."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    _check_credentials_after(endpoint, 5)
    iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1",
                       aws_access_key_id="setup", aws_secret_access_key="setup")
    iam.create_user(UserName="builder")
    iam.put_user_policy(UserName="builder", PolicyName="s3", PolicyDocument=json.dumps(ALLOW_ALL))
    allowed = iam.create_access_key(UserName="builder")["AccessKey"]
    iam.create_user(UserName="nobody")
    denied = iam.create_access_key(UserName="nobody")["AccessKey"]

    local = tmp_path_factory.mktemp("bucket")
    (local / "sample").mkdir()
    for path in SAMPLE.iterdir():
        (local / "sample" / path.name).write_bytes(path.read_bytes())
    (local / "parquet").mkdir()
    pq.write_table(pj.read_json(READERS / "bespoke.jsonl"), local / "parquet" / "bespoke.parquet", row_group_size=2)
    fs = S3FileSystem(**_options(endpoint, allowed))
    fs.mkdir(BUCKET)
    fs.put(f"{local}/", f"{BUCKET}/", recursive=True)
    try:
        yield S3(endpoint=endpoint, options=_options(endpoint, allowed), denied=_options(endpoint, denied),
                 local=local)
    finally:
        _check_credentials_after(endpoint, float("inf"))
        server.stop()
