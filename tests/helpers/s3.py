"""A real S3 endpoint for tests: moto's threaded server on loopback, recording its requests.

The server is ``moto.server.ThreadedMotoServer`` with two changes made by overriding its
``_server_entry`` (moto 5.x internals): the WSGI app is wrapped to record every request
(``RequestLog``), and a failure to bind is reported to ``start()`` instead of leaving it waiting
forever on its ready event.

Everything here finds the endpoint through ``AWS_ENDPOINT_URL`` (set by ``helpers.env``), exactly
like inspect_ai and s3fs do, unless an explicit ``endpoint_url`` is passed.

moto facts the suite relies on (checked in ``tests/test_infra.py``): ``PutObject`` honours
``If-Match`` and ``If-None-Match: *`` (412 ``PreconditionFailed``); ``CopyObject`` ignores
``x-amz-copy-source-if-match``. moto keeps its state in module globals, so every moto server in one
process serves the same buckets.
"""

from __future__ import annotations

import logging
import os
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server

from .env import clear_s3fs_cache as clear_s3fs_cache  # re-exported
from .env import free_port

_RECORDED_HEADERS = (
    "Range",
    "If-Match",
    "If-None-Match",
    "X-Amz-Copy-Source",
    "X-Amz-Copy-Source-If-Match",
    "X-Amz-Metadata-Directive",
    "Content-Length",
    "Content-Type",
    "User-Agent",
)


@dataclass(frozen=True)
class S3Request:
    """One HTTP request served by the test S3 server.

    Attributes:
        method: HTTP method (``GET``, ``HEAD``, ``PUT``, ...).
        path: URL path, percent-decoded (path-style: ``/bucket/key``).
        query: Raw query string (e.g. ``list-type=2&prefix=logs%2F``).
        headers: The interesting request headers (see ``_RECORDED_HEADERS``), by canonical name.
        status: HTTP status of the response (0 if unknown).
        response_bytes: The response's ``Content-Length`` (bytes sent back; 0 if none).
    """

    method: str
    path: str
    query: str
    headers: dict[str, str] = field(default_factory=dict)
    status: int = 0
    response_bytes: int = 0

    @property
    def bucket(self) -> str:
        """The bucket addressed (path-style)."""
        return self.path.lstrip("/").split("/", 1)[0]

    @property
    def key(self) -> str:
        """The object key addressed ('' for bucket-level requests)."""
        parts = self.path.lstrip("/").split("/", 1)
        return parts[1] if len(parts) > 1 else ""

    @property
    def is_copy(self) -> bool:
        """A server-side ``CopyObject`` / ``UploadPartCopy``."""
        return self.method == "PUT" and "X-Amz-Copy-Source" in self.headers

    def __str__(self) -> str:
        query = f"?{self.query}" if self.query else ""
        extra = " ".join(
            f"{k}={v}" for k, v in self.headers.items() if k not in ("Content-Length", "User-Agent")
        )
        return f"{self.method} {self.path}{query} -> {self.status} {extra}".rstrip()


class RequestLog:
    """Thread-safe record of the requests served (the ``s3_requests`` fixture; cleared per test)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[S3Request] = []
        self.before: Callable[[dict[str, Any]], None] | None = None
        """Called with each request's WSGI environ before it is served (may block: a barrier)."""

    def append(self, request: S3Request) -> None:
        """Record a request.

        Args:
            request: The request.
        """
        with self._lock:
            self._items.append(request)

    def clear(self) -> None:
        """Forget everything recorded so far (and the ``before`` hook)."""
        with self._lock:
            self._items.clear()
        self.before = None

    @property
    def requests(self) -> list[S3Request]:
        """A snapshot of the recorded requests, oldest first."""
        with self._lock:
            return list(self._items)

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def __iter__(self) -> Iterator[S3Request]:
        return iter(self.requests)

    def filter(
        self,
        method: str | None = None,
        bucket: str | None = None,
        key: str | None = None,
        key_prefix: str | None = None,
        predicate: Callable[[S3Request], bool] | None = None,
    ) -> list[S3Request]:
        """Recorded requests matching all given criteria.

        Args:
            method: HTTP method.
            bucket: Bucket name.
            key: Exact object key.
            key_prefix: Object key prefix.
            predicate: Any other test.

        Returns:
            Matching requests, oldest first.
        """
        return [
            r
            for r in self.requests
            if (method is None or r.method == method.upper())
            and (bucket is None or r.bucket == bucket)
            and (key is None or r.key == key)
            and (key_prefix is None or r.key.startswith(key_prefix))
            and (predicate is None or predicate(r))
        ]

    def count(self, method: str | None = None, **criteria: Any) -> int:
        """Number of recorded requests matching the criteria of ``filter``.

        Args:
            method: HTTP method.
            **criteria: Other ``filter`` arguments.

        Returns:
            The count.
        """
        return len(self.filter(method, **criteria))

    def summary(self) -> str:
        """One line per request, for assertion messages."""
        return "\n".join(str(r) for r in self.requests)


class _RecordingApp:
    """WSGI middleware that records each request into a ``RequestLog``."""

    def __init__(self, app: Any, log: RequestLog) -> None:
        self.app = app
        self.log = log

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        status: list[int] = []
        sent: list[int] = []

        def recording_start_response(code: str, headers: Any, exc_info: Any = None) -> Any:
            status.append(int(code.split(" ", 1)[0]))
            sent.extend(int(v) for k, v in headers if k.lower() == "content-length")
            return start_response(code, headers, exc_info)

        if self.log.before is not None:
            self.log.before(environ)
        result = self.app(environ, recording_start_response)
        headers = {}
        for name in _RECORDED_HEADERS:
            key = (
                name.upper().replace("-", "_")
                if name in ("Content-Length", "Content-Type")
                else "HTTP_" + name.upper().replace("-", "_")
            )
            if key in environ and environ[key] != "":
                headers[name] = str(environ[key])
        self.log.append(
            S3Request(
                method=str(environ.get("REQUEST_METHOD", "")),
                path=unquote(str(environ.get("PATH_INFO", ""))),
                query=str(environ.get("QUERY_STRING", "")),
                headers=headers,
                status=status[0] if status else 0,
                response_bytes=sent[0] if sent else 0,
            )
        )
        return result


class _RecordingMotoServer(ThreadedMotoServer):
    """``ThreadedMotoServer`` that records requests and reports bind failures."""

    def __init__(self, ip_address: str, port: int, log: RequestLog) -> None:
        super().__init__(ip_address=ip_address, port=port, verbose=False)
        self._request_log = log
        self.start_error: BaseException | None = None

    def _server_entry(self) -> None:
        app = _RecordingApp(DomainDispatcherApplication(create_backend_app), self._request_log)
        try:
            self._server = make_server(
                self._ip_address, self._port, app, True, request_handler=MotoRequestHandler
            )
        except BaseException as ex:  # let start() return and report it
            # werkzeug turns a bind OSError (EADDRINUSE) into SystemExit(1) after printing it
            self.start_error = (ex.__context__ or ex) if isinstance(ex, SystemExit) else ex
            self._server_ready_event.set()
            return
        self._server_ready_event.set()
        self._server.serve_forever()


class S3Server:
    """The session's moto S3 server on loopback, started on demand.

    Args:
        port: Port to listen on (reserved up front by ``helpers.env``); a free one when None.
        host: Address to bind.
        on_port_change: Called with the new port if ``port`` was taken by the time the server
            started and another port had to be used (conftest updates ``AWS_ENDPOINT_URL`` and
            clears the s3fs cache).
    """

    def __init__(
        self,
        port: int | None = None,
        host: str = "127.0.0.1",
        on_port_change: Callable[[int], None] | None = None,
    ) -> None:
        self.host = host
        self.port = port if port is not None else free_port(host)
        self.requests = RequestLog()
        self._on_port_change = on_port_change
        self._server: _RecordingMotoServer | None = None

    @property
    def endpoint_url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        """Whether the server is serving."""
        return self._server is not None

    def start(self, attempts: int = 5) -> None:
        """Start serving (no-op when already running).

        Args:
            attempts: Ports to try if the reserved one is taken.
        """
        if self._server is not None:
            return
        # werkzeug logs every request at INFO; keep test output (and captured logs) clean.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        for attempt in range(attempts):
            server = _RecordingMotoServer(self.host, self.port, self.requests)
            server.start()
            if server.start_error is None:
                self._server = server
                return
            if not isinstance(server.start_error, OSError) or attempt == attempts - 1:
                raise RuntimeError(f"moto server failed to start on {self.endpoint_url}") from (
                    server.start_error
                )
            self.port = free_port(self.host)
            if self._on_port_change is not None:
                self._on_port_change(self.port)

    def stop(self) -> None:
        """Stop serving (no-op when not running)."""
        if self._server is not None:
            self._server.stop()
            self._server = None


# ------------------------------------------------------------------------------------------ helpers


def split_s3_uri(uri: str) -> tuple[str, str]:
    """Split ``s3://bucket/some/key`` into ``("bucket", "some/key")``.

    Args:
        uri: An ``s3://`` URI.

    Returns:
        Bucket and key ('' for a bare bucket).
    """
    parsed = urlparse(uri)
    if parsed.scheme != "s3" or not parsed.netloc:
        raise ValueError(f"not an s3:// URI: {uri!r}")
    return parsed.netloc, parsed.path.lstrip("/")


def new_bucket_name(prefix: str = "test") -> str:
    """A unique, valid bucket name.

    Args:
        prefix: Leading part (lowercase letters, digits, hyphens).

    Returns:
        E.g. ``test-1a2b3c4d5e6f``.
    """
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def make_s3_client(endpoint_url: str | None = None) -> Any:
    """A boto3 S3 client (on ``AWS_ENDPOINT_URL`` unless given).

    Args:
        endpoint_url: Explicit endpoint.

    Returns:
        The client.
    """
    import boto3

    return boto3.client("s3", endpoint_url=endpoint_url or os.environ.get("AWS_ENDPOINT_URL"))


def create_bucket(client: Any, name: str | None = None) -> str:
    """Create a bucket and return its ``s3://`` URI (no trailing slash).

    Args:
        client: boto3 S3 client.
        name: Bucket name; unique when None.

    Returns:
        ``s3://NAME``.
    """
    name = name or new_bucket_name()
    client.create_bucket(Bucket=name)
    return f"s3://{name}"


def delete_bucket(client: Any, bucket: str) -> None:
    """Delete every object (and version) in a bucket, then the bucket. Missing bucket is fine.

    Args:
        client: boto3 S3 client.
        bucket: Bucket name or ``s3://`` URI.
    """
    if bucket.startswith("s3://"):
        bucket = split_s3_uri(bucket)[0]
    try:
        paginator = client.get_paginator("list_object_versions")
        for page in paginator.paginate(Bucket=bucket):
            objects = [
                {"Key": o["Key"], "VersionId": o["VersionId"]}
                for o in page.get("Versions", []) + page.get("DeleteMarkers", [])
            ]
            if objects:
                client.delete_objects(Bucket=bucket, Delete={"Objects": objects, "Quiet": True})
        for upload in client.list_multipart_uploads(Bucket=bucket).get("Uploads", []):
            client.abort_multipart_upload(
                Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"]
            )
        client.delete_bucket(Bucket=bucket)
    except client.exceptions.NoSuchBucket:
        pass


def upload_file(local: str | Path, s3_uri: str, client: Any | None = None) -> str:
    """Upload one file, keeping its bytes.

    Args:
        local: Local file.
        s3_uri: Destination; when it ends with ``/`` the file's name is appended.
        client: boto3 S3 client (a new one on ``AWS_ENDPOINT_URL`` when None).

    Returns:
        The object's ``s3://`` URI.
    """
    local = Path(local)
    if s3_uri.endswith("/"):
        s3_uri = s3_uri + local.name
    bucket, key = split_s3_uri(s3_uri)
    (client or make_s3_client()).upload_file(str(local), bucket, key)
    return s3_uri


def upload_dir(
    local_dir: str | Path,
    s3_uri: str,
    client: Any | None = None,
    pattern: str = "*",
    recursive: bool = True,
    workers: int = 8,
) -> list[str]:
    """Upload the files of a directory, keeping relative paths, under an ``s3://`` prefix.

    Args:
        local_dir: Local directory.
        s3_uri: Destination prefix (``s3://bucket`` or ``s3://bucket/prefix``, slash optional).
        client: boto3 S3 client (a new one on ``AWS_ENDPOINT_URL`` when None).
        pattern: Glob for file names.
        recursive: Include subdirectories.
        workers: Parallel uploads.

    Returns:
        The uploaded objects' URIs, sorted.
    """
    local_dir = Path(local_dir)
    client = client or make_s3_client()
    prefix = s3_uri.rstrip("/")
    files = sorted(
        p
        for p in (local_dir.rglob(pattern) if recursive else local_dir.glob(pattern))
        if p.is_file()
    )
    targets = [f"{prefix}/{p.relative_to(local_dir).as_posix()}" for p in files]

    def one(args: tuple[Path, str]) -> str:
        return upload_file(args[0], args[1], client)

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        return sorted(pool.map(one, zip(files, targets, strict=True)))


def list_keys(client: Any, s3_uri: str) -> list[str]:
    """All object keys under an ``s3://`` prefix.

    Args:
        client: boto3 S3 client.
        s3_uri: ``s3://bucket`` or ``s3://bucket/prefix``.

    Returns:
        Sorted keys.
    """
    bucket, prefix = split_s3_uri(s3_uri)
    keys: list[str] = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys.extend(o["Key"] for o in page.get("Contents", []))
    return sorted(keys)


def upload_files(
    paths: Iterable[str | Path], s3_prefix: str, client: Any | None = None
) -> list[str]:
    """Upload files flat (by name) under an ``s3://`` prefix.

    Args:
        paths: Local files.
        s3_prefix: Destination prefix.
        client: boto3 S3 client (a new one on ``AWS_ENDPOINT_URL`` when None).

    Returns:
        The objects' URIs, in input order.
    """
    client = client or make_s3_client()
    prefix = s3_prefix.rstrip("/") + "/"
    return [upload_file(p, prefix, client) for p in paths]
