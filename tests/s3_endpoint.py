"""One real S3 endpoint for the whole test session: moto's server on localhost, with its IAM checks on.

moto keeps its state per process, so two servers in one test session would share users and buckets:
every test that needs S3 uses this one (the `s3_endpoint` fixture), each in buckets of its own. moto
accepts any credentials unless told to check them; `/moto-api/reset-auth` lets the first few requests
through unchecked (they create two IAM users) and checks every request after that. So one user may do
everything, one may do nothing, and made-up keys are refused, as on real S3. The keys are moto's own,
made for this session; no real credentials are ever used.
"""
from __future__ import annotations

import json
import logging
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

ALLOW_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}


@dataclass(frozen=True)
class Endpoint:
    """The server's URL and the keys (`AccessKeyId`, `SecretAccessKey`) of a user who may do anything
    and of one who may do nothing."""

    url: str
    allowed: dict[str, str]
    denied: dict[str, str]


@contextmanager
def running_endpoint() -> Iterator[Endpoint]:
    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)      # not a line per request in failure reports
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    try:
        check_credentials_after(url, 5)          # the five IAM calls below; every later request is checked
        iam = boto3.client("iam", endpoint_url=url, region_name="us-east-1",
                           aws_access_key_id="setup", aws_secret_access_key="setup")
        iam.create_user(UserName="builder")
        iam.put_user_policy(UserName="builder", PolicyName="s3", PolicyDocument=json.dumps(ALLOW_ALL))
        allowed = iam.create_access_key(UserName="builder")["AccessKey"]
        iam.create_user(UserName="nobody")
        denied = iam.create_access_key(UserName="nobody")["AccessKey"]
        yield Endpoint(url=url, allowed={k: allowed[k] for k in ("AccessKeyId", "SecretAccessKey")},
                       denied={k: denied[k] for k in ("AccessKeyId", "SecretAccessKey")})
    finally:
        check_credentials_after(url, float("inf"))
        server.stop()


def check_credentials_after(url: str, requests: float) -> None:
    """Let the next `requests` requests through unchecked, then check every one (`inf`: never check)."""
    request = urllib.request.Request(f"{url}/moto-api/reset-auth", data=str(requests).encode(), method="POST",
                                     headers={"Content-Type": "text/plain"})
    urllib.request.urlopen(request).read()
