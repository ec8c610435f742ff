"""Shared filesystem clients (one S3 filesystem per process, so one connection pool per run)."""

from __future__ import annotations

import functools
import os
from typing import Any


def s3_filesystem() -> Any:
    """Return the process-wide ``s3fs.S3FileSystem`` honouring the standard AWS environment.

    ``AWS_ENDPOINT_URL`` is passed explicitly because not every botocore version reads it.
    """
    return _s3_filesystem(os.environ.get("AWS_ENDPOINT_URL"))


@functools.lru_cache(maxsize=4)
def _s3_filesystem(endpoint: str | None) -> Any:
    import s3fs

    client_kwargs: dict[str, Any] = {}
    if endpoint:
        client_kwargs["endpoint_url"] = endpoint
    # skip_instance_cache: our own cache is keyed on the endpoint, so tests that change it get a
    # fresh client instead of s3fs's cached one.
    return s3fs.S3FileSystem(client_kwargs=client_kwargs, skip_instance_cache=True)
