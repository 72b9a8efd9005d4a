"""Storage failures are one line naming the URL: no match, a wrong bucket, a wrong endpoint, bad credentials.

Each case runs against moto's S3 server with IAM checks on (see conftest), through the same calls a build
makes; the exception text underneath is botocore's or moto's, so only our part of each line is pinned.
"""
from __future__ import annotations

import socket

import pytest

from ltdata.errors import ConfigError
from ltdata.readers.sources import SourceSlice, expand_inputs, read_slice
from ltdata.storage import check_writable, expand_glob, is_remote, shown, storage_error


def one_line(excinfo: pytest.ExceptionInfo, options: dict) -> str:
    message = str(excinfo.value)
    assert "\n" not in message and len(excinfo.value.problems) == 1
    assert "secret" not in options or options["secret"] not in message
    return message


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_glob_with_no_match_says_so(s3):
    with pytest.raises(ConfigError) as excinfo:
        expand_inputs([s3.url("sample/*.parquet")], storage_options=s3.options)
    assert one_line(excinfo, s3.options) == f"input {s3.url('sample/*.parquet')!r} matches no files"


@pytest.mark.parametrize("url", ["s3://no-such-bucket/sample/*.jsonl", "s3://no-such-bucket/sample/a.jsonl"])
def test_a_wrong_bucket_is_named(s3, url):
    with pytest.raises(ConfigError) as excinfo:
        expand_inputs([url], storage_options=s3.options)
    assert one_line(excinfo, s3.options) == f"{url}: bucket 'no-such-bucket' does not exist"


def test_a_missing_object_is_named(s3):
    with pytest.raises(ConfigError) as excinfo:
        expand_inputs([s3.url("sample/none.jsonl")], storage_options=s3.options)
    assert one_line(excinfo, s3.options) == f"input {s3.url('sample/none.jsonl')!r} does not exist"


def test_a_wrong_endpoint_is_unreachable(s3):
    options = {**s3.options, "client_kwargs": {"endpoint_url": f"http://127.0.0.1:{closed_port()}"},
               "config_kwargs": {"retries": {"max_attempts": 1}}}
    url = s3.url("sample/*.jsonl")
    with pytest.raises(ConfigError) as excinfo:
        expand_inputs([url], storage_options=options)
    assert one_line(excinfo, options).startswith(
        f"{url}: cannot reach the storage endpoint (EndpointConnectionError: Could not connect to the endpoint URL")


@pytest.mark.parametrize("who", ["unknown key", "wrong secret", "no permission"])
def test_denied_credentials_are_refused_in_one_line(s3, who):
    options = {"unknown key": {**s3.options, "key": "AKIAUNKNOWNUNKNOWN00"},
               "wrong secret": {**s3.options, "secret": "not-the-secret"},
               "no permission": s3.denied}[who]
    url = s3.url("sample/*.jsonl")
    with pytest.raises(ConfigError) as excinfo:
        expand_inputs([url], storage_options=options)
    assert one_line(excinfo, options).startswith(f"{url}: access denied (PermissionError: ")


def test_denied_credentials_while_reading_a_slice(s3):
    url = s3.url("sample/r1_messages.jsonl")
    with pytest.raises(ConfigError) as excinfo:
        list(read_slice(SourceSlice(path=url, kind="jsonl", start=0, stop=1), storage_options=s3.denied))
    assert one_line(excinfo, s3.denied).startswith(f"{url}: access denied (PermissionError: ")


def test_no_credentials_at_all(s3, monkeypatch, tmp_path):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    options = {"client_kwargs": {"endpoint_url": s3.endpoint}, "skip_instance_cache": True}
    url = s3.url("sample/*.jsonl")
    with pytest.raises(ConfigError) as excinfo:
        expand_glob(url, options)
    assert one_line(excinfo, options) == (f"{url}: no credentials found (environment, profile or storage_options) "
                                          "(NoCredentialsError: Unable to locate credentials)")


def test_local_paths_and_urls():
    assert not is_remote("data/a.jsonl") and not is_remote("file:///data/a.jsonl")
    assert is_remote("s3://b/a.jsonl") and is_remote("hf://datasets/o/n/a.parquet") and is_remote("https://h/a")
    assert expand_glob("no-such-dir-here/*.jsonl") == []


def test_https_is_read_only_and_user_info_is_never_shown():
    with pytest.raises(ConfigError, match=r"^https://h/out: https:// is read-only"):
        check_writable("https://h/out")
    check_writable("s3://b/out")
    assert shown("https://user:pa55@h/a.jsonl") == "https://h/a.jsonl"
    error = storage_error("https://user:pa55@h/a.jsonl", ConnectionRefusedError("https://user:pa55@h refused"))
    assert str(error) == ("https://h/a.jsonl: cannot reach the storage endpoint "
                          "(ConnectionRefusedError: https://h refused)")


def test_errors_that_are_not_about_storage_are_left_alone():
    assert storage_error("s3://b/a.jsonl", ValueError("bad value")) is None
