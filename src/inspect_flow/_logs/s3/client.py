"""The S3 client: direct object operations on one shared s3fs client (conditional GET/PUT, copy).

Every call goes through the process-wide ``s3fs`` filesystem and its event loop, so one run uses one
client and one connection pool (never one client per write).

S3 requests give up in bounded time: each attempt waits at most ``S3_CONNECT_TIMEOUT`` seconds to
connect and ``INSPECT_FLOW_S3_TIMEOUT`` seconds (default ``S3_READ_TIMEOUT``) for each read, and
botocore makes at most ``S3_ATTEMPTS`` attempts (or ``AWS_MAX_ATTEMPTS``); s3fs does not retry on
top. A request to an endpoint that stopped answering therefore fails after about 3 x 10 s, and a
command (which may make a few requests in a row before it can report) within about a minute, instead
of retrying for many minutes; a refused connection fails within seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import email.utils
import functools
import os
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Sequence
from typing import Any, TypeVar

from inspect_flow._errors import FlowError, FlowUsageError, LogVanishedError, WriteConflictError

T = TypeVar("T")
R = TypeVar("R")

# Cap on concurrent S3 requests; aiobotocore's default pool holds 10 connections per client.
S3_CONCURRENCY = 10

# Bounded waits (see the module docstring).
S3_CONNECT_TIMEOUT = 5.0
S3_READ_TIMEOUT = 10.0
S3_ATTEMPTS = 3
S3FS_RETRIES = 1
TIMEOUT_ENV = "INSPECT_FLOW_S3_TIMEOUT"
# After this long without an answer, say on stderr that we are waiting (once per wait).
WAITING_NOTICE_SECONDS = 5.0


def s3_filesystem() -> Any:
    """Return the process-wide ``s3fs.S3FileSystem`` honouring the standard AWS environment.

    ``AWS_ENDPOINT_URL`` is passed explicitly because not every botocore version reads it.
    """
    return _s3_filesystem(
        os.environ.get("AWS_ENDPOINT_URL"),
        os.environ.get(TIMEOUT_ENV),
        os.environ.get("AWS_MAX_ATTEMPTS"),
    )


@functools.lru_cache(maxsize=4)
def _s3_filesystem(endpoint: str | None, timeout: str | None, attempts: str | None) -> Any:
    import s3fs

    client_kwargs: dict[str, Any] = {}
    if endpoint:
        client_kwargs["endpoint_url"] = endpoint
    try:
        read_timeout = float(timeout) if timeout else S3_READ_TIMEOUT
        max_attempts = int(attempts) if attempts else S3_ATTEMPTS
    except ValueError as exc:
        raise FlowUsageError(f"Invalid {TIMEOUT_ENV} or AWS_MAX_ATTEMPTS: {exc}") from exc
    config: dict[str, Any] = {
        "connect_timeout": min(S3_CONNECT_TIMEOUT, read_timeout),
        "read_timeout": read_timeout,
        "retries": {"max_attempts": max_attempts, "mode": "standard"},
        # Our requests are built here, not from user input: botocore's per-request check of
        # every parameter against the service model is pure overhead on the event loop.
        "parameter_validation": False,
    }
    agent = _user_agent()
    if agent:
        config["user_agent"] = agent
    # skip_instance_cache: our own cache is keyed on the endpoint, so tests that change it get a
    # fresh client instead of s3fs's cached one.
    fs = s3fs.S3FileSystem(
        client_kwargs=client_kwargs,
        config_kwargs=config,
        skip_instance_cache=True,
        session=_session(),
    )
    fs.retries = S3FS_RETRIES  # a class attribute of s3fs (5), not a constructor argument
    return fs


def _session() -> Any:
    """Return an aiobotocore session whose responses parse timestamps without ``dateutil``.

    botocore parses every ``LastModified`` (one per GET/HEAD, one per key of a listing page) with
    ``dateutil``, ≈ 0.1 ms each on the event loop (a 1000-key page: ≈ 0.1 s during which the loop
    serves nothing else). S3 sends two formats, both parsed here by the standard library, giving
    the same UTC datetimes; anything else goes to botocore's parser.
    """
    from aiobotocore.session import AioSession

    session = AioSession()
    session.get_component("response_parser_factory").set_parser_defaults(
        timestamp_parser=parse_timestamp
    )
    return session


def _user_agent() -> str:
    """Return the User-Agent botocore would send from this machine, built once.

    Without it botocore rebuilds the header for every request (≈ 0.1 ms of the event loop each);
    the string is the same one, less the per-request feature codes.
    """
    try:
        from botocore.useragent import UserAgentString

        return str(UserAgentString.from_environment().to_string())
    except Exception:  # another botocore: let it build its own
        return ""


def parse_timestamp(value: Any) -> datetime.datetime:
    """Parse an S3 timestamp: RFC 7231 (headers) or ISO 8601 (XML bodies), else as botocore does."""
    if isinstance(value, str):
        try:
            if value.endswith(" GMT"):  # e.g. "Sat, 05 Dec 2026 23:11:22 GMT"
                return email.utils.parsedate_to_datetime(value).replace(
                    tzinfo=datetime.timezone.utc
                )
            if value.endswith("Z") and "T" in value:  # e.g. "2026-12-05T23:11:22.000Z"
                return datetime.datetime.fromisoformat(value[:-1] + "+00:00")
        except (TypeError, ValueError):
            pass
    from botocore.utils import parse_timestamp as botocore_parse

    parsed: datetime.datetime = botocore_parse(value)
    return parsed


def split(location: str) -> tuple[str, str]:
    """Split ``s3://bucket/key`` into (bucket, key)."""
    bucket, _, key = location[len("s3://") :].partition("/")
    return bucket, key


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine on the s3fs event loop and wait for its result."""
    with waiting():
        return _on_loop(coro)


def _on_loop(coro: Coroutine[Any, Any, T]) -> T:
    from fsspec.asyn import sync

    fs = s3_filesystem()

    async def _wrap() -> T:
        return await coro

    result: T = sync(fs.loop, _wrap)
    return result


@contextlib.contextmanager
def waiting() -> Iterator[Callable[[], None]]:
    """Say on stderr when S3 has not answered for ``WAITING_NOTICE_SECONDS`` (once).

    Yields a function to call whenever an answer arrives (the wait starts again).
    """
    done = threading.Event()
    last = [time.monotonic()]

    def watch() -> None:
        while not done.wait(max(0.0, last[0] + WAITING_NOTICE_SECONDS - time.monotonic())):
            if time.monotonic() - last[0] >= WAITING_NOTICE_SECONDS:
                from inspect_flow import _output

                endpoint = os.environ.get("AWS_ENDPOINT_URL") or "AWS"
                timeout = os.environ.get(TIMEOUT_ENV) or f"{S3_READ_TIMEOUT:g}"
                attempts = os.environ.get("AWS_MAX_ATTEMPTS") or str(S3_ATTEMPTS)
                _output.warn(
                    f"Waiting for S3 ({endpoint}): no answer for {WAITING_NOTICE_SECONDS:g} s "
                    f"(a request gives up after {timeout} s per attempt, {attempts} "
                    f"attempt{'' if attempts == '1' else 's'})"
                )
                return

    threading.Thread(target=watch, name="s3-waiting", daemon=True).start()
    try:
        yield lambda: last.__setitem__(0, time.monotonic())
    finally:
        done.set()


def run_all(func: Callable[[T], Awaitable[R]], items: Sequence[T]) -> list[R | BaseException]:
    """Run ``func`` over ``items`` concurrently (bounded) on the s3fs loop; errors are returned."""
    answers: list[Callable[[], None]] = []

    async def _all() -> list[R | BaseException]:
        semaphore = asyncio.Semaphore(S3_CONCURRENCY)

        async def one(item: T) -> R:
            async with semaphore:
                try:
                    return await func(item)
                finally:
                    answers[0]()  # progress: the wait for an answer starts again

        return list(await asyncio.gather(*(one(i) for i in items), return_exceptions=True))

    with waiting() as answered:
        answers.append(answered)
        return _on_loop(_all())


def _code(exc: BaseException) -> str:
    # s3fs's _call_s3 re-raises botocore's ClientError as an OSError (e.g. EINVAL for a failed
    # precondition) whose __cause__ is the ClientError: look through the chain for the S3 code.
    seen: BaseException | None = exc
    while seen is not None:
        response = getattr(seen, "response", None) or {}
        code = str(response.get("Error", {}).get("Code", ""))
        if code:
            return code
        seen = seen.__cause__ or seen.__context__
    return ""


def translate(exc: BaseException, location: str) -> BaseException:
    """Map botocore/s3fs errors to ours (conflicts and vanished objects are not plain I/O)."""
    code = _code(exc)
    if code == "NoSuchBucket" or "bucket does not exist" in str(exc).lower():
        return FlowError(f"Bucket does not exist: s3://{split(location)[0]}")
    if code in ("PreconditionFailed", "412"):
        return WriteConflictError(f"Log changed since it was read (ETag differs): {location}")
    if code in ("NoSuchKey", "404") or isinstance(exc, FileNotFoundError):
        return LogVanishedError(f"Log no longer exists: {location}")
    return exc


async def get_object(
    location: str, byte_range: str | None = None, if_match: str | None = None
) -> tuple[bytes, str, int]:
    """GET an object (or a range of it).

    Returns:
        (body, etag without quotes, total object size).
    """
    fs = s3_filesystem()
    bucket, key = split(location)
    kwargs: dict[str, Any] = {"Bucket": bucket, "Key": key}
    if byte_range:
        kwargs["Range"] = byte_range
    if if_match:
        kwargs["IfMatch"] = f'"{if_match}"'
    try:
        response = await fs._call_s3("get_object", **kwargs)
        body = await response["Body"].read()
    except Exception as exc:
        raise translate(exc, location) from exc
    total = len(body)
    content_range = response.get("ContentRange")
    if content_range and "/" in content_range:
        total = int(content_range.rsplit("/", 1)[1])
    return body, str(response["ETag"]).strip('"'), total


async def put_object(
    location: str, body: bytes, if_match: str | None = None, if_none_match: bool = False
) -> str:
    """PUT an object, conditionally; returns the new ETag.

    Args:
        location: ``s3://bucket/key``.
        body: The object bytes.
        if_match: Only write when the current ETag is this one (a lost update is a conflict).
        if_none_match: Only write when no object exists at the location.
    """
    fs = s3_filesystem()
    bucket, key = split(location)
    kwargs: dict[str, Any] = {"Bucket": bucket, "Key": key, "Body": body}
    if if_match:
        kwargs["IfMatch"] = f'"{if_match}"'
    if if_none_match:
        kwargs["IfNoneMatch"] = "*"
    try:
        response = await fs._call_s3("put_object", **kwargs)
    except Exception as exc:
        raise translate(exc, location) from exc
    return str(response["ETag"]).strip('"')


async def head_etag(location: str) -> str | None:
    """Return the ETag of an object, or None when it does not exist."""
    found = await head(location)
    return found[0] if found else None


async def head(location: str) -> tuple[str, int] | None:
    """Return (ETag, size) of an object, or None when it does not exist."""
    fs = s3_filesystem()
    bucket, key = split(location)
    try:
        response = await fs._call_s3("head_object", Bucket=bucket, Key=key)
    except Exception as exc:
        translated = translate(exc, location)
        if isinstance(translated, LogVanishedError) or _code(exc) in ("403",):
            return None
        raise translated from exc
    return str(response["ETag"]).strip('"'), int(response.get("ContentLength", 0))


async def copy_object(source: str, dest: str, source_etag: str | None = None) -> str:
    """Server-side copy ``source`` to ``dest`` (same endpoint); returns the new ETag."""
    fs = s3_filesystem()
    src_bucket, src_key = split(source)
    bucket, key = split(dest)
    kwargs: dict[str, Any] = {
        "Bucket": bucket,
        "Key": key,
        "CopySource": {"Bucket": src_bucket, "Key": src_key},
    }
    if source_etag:
        kwargs["CopySourceIfMatch"] = f'"{source_etag}"'
    try:
        response = await fs._call_s3("copy_object", **kwargs)
    except Exception as exc:
        raise translate(exc, source) from exc
    return str(response["CopyObjectResult"]["ETag"]).strip('"')


async def delete_object(location: str) -> None:
    """Delete an object (used only to undo our own writes)."""
    fs = s3_filesystem()
    bucket, key = split(location)
    await fs._call_s3("delete_object", Bucket=bucket, Key=key)


async def list_etags(locations: Sequence[str]) -> dict[str, str | None]:
    """Return the ETag of each of ``locations`` (None: absent), from listings instead of HEADs.

    The locations are grouped by their folder; each folder is listed once (``ListObjectsV2``, up
    to 1000 keys a request), from just before its first wanted key to its last one, so a folder
    holding many other objects costs only the pages that span the wanted keys.
    """
    by_folder: dict[tuple[str, str], set[str]] = {}
    for location in locations:
        bucket, key = split(location)
        folder = key.rpartition("/")[0] + "/" if "/" in key else ""
        by_folder.setdefault((bucket, folder), set()).add(key)
    found: dict[str, str | None] = dict.fromkeys(locations)
    for (bucket, folder), keys in by_folder.items():
        for key, etag in (await _list_span(bucket, folder, min(keys), max(keys))).items():
            if key in keys:
                found[f"s3://{bucket}/{key}"] = etag
    return found


async def _list_span(bucket: str, folder: str, first: str, last: str) -> dict[str, str]:
    """List the keys of ``folder`` (not its subfolders) from ``first`` to ``last`` with ETags."""
    fs = s3_filesystem()
    found: dict[str, str] = {}
    # StartAfter lists keys strictly after it: any proper prefix of ``first`` sorts before it.
    kwargs: dict[str, Any] = {"Bucket": bucket, "Prefix": folder, "Delimiter": "/"}
    if len(first) > len(folder):
        kwargs["StartAfter"] = first[:-1]
    while True:
        try:
            response = await fs._call_s3("list_objects_v2", **kwargs)
        except Exception as exc:
            raise translate(exc, f"s3://{bucket}/{folder}") from exc
        contents = response.get("Contents", [])
        for entry in contents:
            found[str(entry["Key"])] = str(entry["ETag"]).strip('"')
        token = response.get("NextContinuationToken")
        past = bool(contents) and str(contents[-1]["Key"]) >= last
        if not response.get("IsTruncated") or not token or past:
            return found
        kwargs["ContinuationToken"] = token
        kwargs.pop("StartAfter", None)
