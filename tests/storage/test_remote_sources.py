"""Inputs on S3 read exactly like the same files on disk: same files found, same slices, same records.

The endpoint is moto's S3 server (see conftest); only the `file` of each origin differs, and it is the URL.
"""
from __future__ import annotations

import dataclasses
import os

import pytest

from ltdata.readers.sources import expand_inputs, first_record, input_identity, plan_slices, read_slice

FILES = ["sample/bespoke_sky-t1.jsonl", "sample/marco-o1_cot.json", "sample/r1_messages.jsonl",
         "parquet/bespoke.parquet"]


def test_a_glob_url_expands_to_the_sorted_matching_objects(s3):
    found = expand_inputs([s3.url("sample/*.jsonl")], storage_options=s3.options)
    assert found == [(s3.url("sample/bespoke_sky-t1.jsonl"), "jsonl"), (s3.url("sample/r1_messages.jsonl"), "jsonl")]


def test_a_directory_url_stands_for_its_data_files(s3):
    found = expand_inputs([s3.url("sample"), s3.url("parquet/")], storage_options=s3.options)
    assert found == [(s3.url("sample/bespoke_sky-t1.jsonl"), "jsonl"), (s3.url("sample/marco-o1_cot.json"), "json"),
                     (s3.url("sample/r1_messages.jsonl"), "jsonl"), (s3.url("parquet/bespoke.parquet"), "parquet")]


@pytest.mark.parametrize("name", FILES)
def test_slices_read_from_s3_equal_the_local_files(s3, name):
    local, url = str(s3.local / name), s3.url(name)
    local_slices = plan_slices([local], 2)
    remote_slices = plan_slices([url], 2, storage_options=s3.options)
    assert [dataclasses.replace(piece, path=local) for piece in remote_slices] == local_slices
    local_records = [raw for piece in local_slices for raw in read_slice(piece)]
    remote_records = [raw for piece in remote_slices for raw in read_slice(piece, storage_options=s3.options)]
    assert [raw.value for raw in remote_records] == [raw.value for raw in local_records]
    origins = [dataclasses.replace(raw.origin, file=local) for raw in remote_records]
    assert origins == [raw.origin for raw in local_records]
    assert {raw.origin.file for raw in remote_records} == {url}


def test_file_urls_read_like_the_paths_they_name(s3):
    url = f"file://{s3.local}/sample/*.jsonl"
    found = expand_inputs([url])
    names = ["bespoke_sky-t1.jsonl", "r1_messages.jsonl"]
    assert found == [(f"file://{s3.local}/sample/{name}", "jsonl") for name in names]
    records = [raw.value for piece in plan_slices([url], 3) for raw in read_slice(piece)]
    local = [raw.value for piece in plan_slices([str(s3.local / "sample" / "*.jsonl")], 3) for raw in read_slice(piece)]
    assert records == local


def test_the_first_record_of_a_url(s3):
    remote = first_record(s3.url("sample/r1_messages.jsonl"), "jsonl", storage_options=s3.options)
    local = first_record(str(s3.local / "sample" / "r1_messages.jsonl"), "jsonl")
    assert remote.value == local.value and str(remote.origin) == s3.url("sample/r1_messages.jsonl") + ":1"


def test_input_identity_is_size_and_etag_for_urls_and_size_and_mtime_for_local_files(s3):
    url, local = s3.url("sample/r1_messages.jsonl"), str(s3.local / "sample" / "r1_messages.jsonl")
    [[remote_path, remote_size, etag]], [[local_path, local_size, mtime]] = (
        input_identity([url], storage_options=s3.options), input_identity([local]))
    assert (remote_path, local_path) == (url, local)
    assert remote_size == local_size == os.stat(local).st_size
    assert etag.startswith('"') and mtime == os.stat(local).st_mtime_ns
