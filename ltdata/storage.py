"""Paths and URLs through one door: fsspec filesystems for `s3://`, `gs://`, `hf://`, `https://` and `file://`.

Data lives in object stores and on the Hub as often as on a local disk, so every place that takes a path
takes a URL too. Plain local paths keep their exact spelling (it appears in record origins and manifests).
Storage failures (an unreachable endpoint, missing credentials, a missing bucket, a denied request)
become one-line `ConfigError`s naming the URL, never tracebacks and never credentials.
"""
from __future__ import annotations

import glob
import posixpath
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import IO, Any
from urllib.parse import urlsplit

import fsspec
from fsspec import AbstractFileSystem

from ltdata.errors import ConfigError

READ_ONLY = ("http", "https")
# Exceptions of the optional filesystem libraries (botocore, aiohttp, httpx, google-auth, huggingface_hub),
# matched by class name so that none of them has to be installed or imported here.
_UNREACHABLE = {"EndpointConnectionError", "ConnectTimeoutError", "ReadTimeoutError", "ClientConnectorError",
                "ConnectError", "ConnectTimeout"}
_NO_CREDENTIALS = {"NoCredentialsError", "PartialCredentialsError", "DefaultCredentialsError",
                   "LocalTokenNotFoundError"}
# S3 error codes and exception class names that mean "these credentials may not do this".
_DENIED = {"AccessDenied", "AllAccessDisabled", "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken",
           "InvalidClientTokenId", "GatedRepoError"}
_USERINFO = re.compile(r"://[^/@\s]+@")


def is_url(path: str) -> bool:
    """Whether `path` names a protocol (`s3://...`, `file://...`) rather than a plain local path."""
    return "://" in path


def is_remote(url: str) -> bool:
    """Whether `url` lives off this machine's disks (any protocol but `file`/`local`)."""
    return is_url(url) and fsspec.utils.get_protocol(url) not in ("file", "local")


def resolve(url: str, storage_options: Mapping[str, Any] | None = None) -> tuple[AbstractFileSystem, str]:
    """The fsspec filesystem holding `url` and the path within it (a local path comes back absolute)."""
    try:
        return fsspec.core.url_to_fs(url, **dict(storage_options or {}))
    except ImportError as exc:
        raise ConfigError(f"{shown(url)}: {exc} (s3:// and gs:// come with pip install 'ltdata[cloud]')") from None
    except ValueError as exc:
        raise ConfigError(f"{shown(url)}: {_first_line(exc)}") from None


def open_file(url: str, mode: str = "rb", storage_options: Mapping[str, Any] | None = None,
              **kwargs: Any) -> IO:
    """`url` opened for reading (`rb`, or `r` with an `encoding`); local paths use the builtin `open`."""
    if not is_url(url):
        return open(url, mode, **kwargs)
    fs, path = resolve(url, storage_options)
    return fs.open(path, mode, **kwargs)


def has_magic(url: str) -> bool:
    """Whether `url` is a glob pattern (never for `http(s)://`, whose `?` starts a query)."""
    return glob.has_magic(url) and fsspec.utils.get_protocol(url) not in READ_ONLY


def expand_glob(pattern: str, storage_options: Mapping[str, Any] | None = None) -> list[str]:
    """The sorted matches of a glob, spelled like the pattern (relative local paths stay relative).

    No match in a missing bucket raises `ConfigError` saying so, rather than returning nothing.
    """
    if not is_url(pattern):
        return sorted(glob.glob(pattern, recursive=True))
    fs, path = resolve(pattern, storage_options)
    with reporting(pattern):
        matches = fs.glob(path)
    if not matches:
        _info(fs, _glob_root(path), pattern)
    return sorted(fs.unstrip_protocol(match) for match in matches)


def _glob_root(path: str) -> str:
    """The directory part of `path` before its first glob character."""
    return re.split(r"[*?\[]", path, maxsplit=1)[0].rsplit("/", 1)[0]


def info(url: str, storage_options: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
    """fsspec's `info` for `url` (`type`, `size`, ...), or None if nothing is there.

    A missing bucket is not "nothing there": it raises `ConfigError`, like every other storage failure.
    """
    fs, path = resolve(url, storage_options)
    return _info(fs, path, url)


def _info(fs: AbstractFileSystem, path: str, url: str) -> dict[str, Any] | None:
    try:
        return fs.info(path)
    except FileNotFoundError as exc:
        if "NoSuchBucket" in _codes(exc):
            raise _bucket_error(url) from exc
        return None
    except Exception as exc:
        error = storage_error(url, exc)
        if error is None:
            raise
        raise error from exc


def join(url: str, name: str) -> str:
    """`name` inside the directory `url`, keeping the directory's spelling."""
    return posixpath.join(url, name)


def check_writable(url: str) -> None:
    """Raise `ConfigError` if `url` names a read-only protocol (`http`, `https`)."""
    if is_url(url) and fsspec.utils.get_protocol(url) in READ_ONLY:
        raise ConfigError(f"{shown(url)}: {fsspec.utils.get_protocol(url)}:// is read-only; "
                          "write to a local path or an object store (s3://, gs://, hf://)")


@contextmanager
def reporting(url: str) -> Iterator[None]:
    """Turn a storage failure inside the block into a one-line `ConfigError` naming `url`."""
    try:
        yield
    except Exception as exc:
        error = storage_error(url, exc)
        if error is None:
            raise
        raise error from exc


def storage_error(url: str, exc: BaseException) -> ConfigError | None:
    """The one-line `ConfigError` for a storage failure at `url`, or None if `exc` is not one.

    Recognised: an unreachable endpoint, missing credentials, a missing bucket, a denied request, and
    a missing file. Anything else (a parse error, a bug) is left to its own handler.
    """
    if isinstance(exc, ConfigError):
        return None
    names, codes = _class_names(exc), _codes(exc)
    if names & _NO_CREDENTIALS:
        return _storage_error(url, exc, "no credentials found (environment, profile or storage_options)")
    if "NoSuchBucket" in codes:
        return _bucket_error(url)
    if isinstance(exc, PermissionError) or codes & _DENIED or names & _DENIED:
        return _storage_error(url, exc, "access denied")
    if isinstance(exc, (ConnectionError, TimeoutError)) or names & _UNREACHABLE:
        return _storage_error(url, exc, "cannot reach the storage endpoint")
    if isinstance(exc, FileNotFoundError):
        return ConfigError(f"{shown(url)}: does not exist")
    return None


def _storage_error(url: str, exc: BaseException, what: str) -> ConfigError:
    return ConfigError(f"{shown(url)}: {what} ({type(exc).__name__}: {_first_line(exc)})")


def _bucket_error(url: str) -> ConfigError:
    return ConfigError(f"{shown(url)}: bucket {urlsplit(url).netloc!r} does not exist")


def shown(url: str) -> str:
    """`url` as messages print it: without a `user:password@` part."""
    return _USERINFO.sub("://", url)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return shown(text[0][:300]) if text else type(exc).__name__


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """`exc` and the exceptions it was raised from or during (s3fs keeps botocore's as the cause)."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def _class_names(exc: BaseException) -> set[str]:
    return {cls.__name__ for error in _chain(exc) for cls in type(error).__mro__}


def _codes(exc: BaseException) -> set[str]:
    """Error codes of S3-style responses in the chain (`NoSuchBucket`, `AccessDenied`, ...)."""
    codes = set()
    for error in _chain(exc):
        response = getattr(error, "response", None)
        if isinstance(response, Mapping):
            codes.add(str(response.get("Error", {}).get("Code", "")))
    return codes
