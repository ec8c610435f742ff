"""Shared filesystem clients (one S3 filesystem per process, so one connection pool per run).

S3 requests give up in bounded time: each attempt waits at most ``S3_CONNECT_TIMEOUT`` seconds to
connect and ``INSPECT_FLOW_S3_TIMEOUT`` seconds (default ``S3_READ_TIMEOUT``) for each read, and
botocore makes at most ``S3_ATTEMPTS`` attempts (or ``AWS_MAX_ATTEMPTS``); s3fs does not retry on
top. A request to an endpoint that stopped answering therefore fails after about 3 x 10 s, and a
command (which makes a few requests in a row before it can report) after a minute or two, instead
of retrying for many minutes; a refused connection fails within seconds.
"""

from __future__ import annotations

import functools
import os
from typing import Any

S3_CONNECT_TIMEOUT = 5.0
S3_READ_TIMEOUT = 10.0
S3_ATTEMPTS = 3
S3FS_RETRIES = 1
TIMEOUT_ENV = "INSPECT_FLOW_S3_TIMEOUT"


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

    from inspect_flow._errors import FlowUsageError

    client_kwargs: dict[str, Any] = {}
    if endpoint:
        client_kwargs["endpoint_url"] = endpoint
    try:
        read_timeout = float(timeout) if timeout else S3_READ_TIMEOUT
        max_attempts = int(attempts) if attempts else S3_ATTEMPTS
    except ValueError as exc:
        raise FlowUsageError(f"Invalid {TIMEOUT_ENV} or AWS_MAX_ATTEMPTS: {exc}") from exc
    config = {
        "connect_timeout": min(S3_CONNECT_TIMEOUT, read_timeout),
        "read_timeout": read_timeout,
        "retries": {"max_attempts": max_attempts, "mode": "standard"},
    }
    # skip_instance_cache: our own cache is keyed on the endpoint, so tests that change it get a
    # fresh client instead of s3fs's cached one.
    fs = s3fs.S3FileSystem(
        client_kwargs=client_kwargs, config_kwargs=config, skip_instance_cache=True
    )
    fs.retries = S3FS_RETRIES  # a class attribute of s3fs (5), not a constructor argument
    return fs
