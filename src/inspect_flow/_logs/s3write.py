"""S3 header writes: conditional (``If-Match``) replacements of the version we read.

A small object is staged as its new bytes on local disk (from the body the header read kept, or
one GET) and committed with a conditional PUT. A large ``.eval`` object is staged as a multipart
upload that keeps its samples on the server (``s3edit``) and committed by completing it. Staging
and commits run as coroutines on the s3fs event loop; rollback is called from the batch driver's
thread.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile

from inspect_flow._logs import s3, s3edit
from inspect_flow._logs.read import cached_body
from inspect_flow._logs.staged import Staged, fmt, write_header_into
from inspect_flow._logs.state import state_of


async def stage(item: Staged) -> None:
    """Stage the object's new version, checking it is still the version read.

    Raises:
        WriteConflictError: The object changed since it was read.
        LogVanishedError: The object no longer exists.
    """
    location = item.log.location
    expected = item.expected if isinstance(item.expected, str) else None
    body = cached_body(location, expected) if expected else None
    item.scratch = tempfile.mkdtemp(prefix="inspect-flow-stage-")
    if body is None and expected and fmt(location) == "eval":
        # a large object: keep its samples on the server when it is large enough (s3edit)
        item.tail_edit, body = await s3edit.stage(
            item.log, expected, item.scratch, write_header_into
        )
        if item.tail_edit is not None:
            return
    if body is None:
        body, etag, _ = await s3.get_object(location, if_match=expected)
        expected = etag
    item.expected = expected
    item.backup = os.path.join(item.scratch, "old")
    with open(item.backup, "wb") as f:
        f.write(body)
    item.temp = os.path.join(item.scratch, "new." + fmt(location))
    shutil.copyfile(item.backup, item.temp)
    await asyncio.to_thread(write_header_into, item.log, item.temp, fmt(location))


async def commit(item: Staged) -> None:
    """Replace the object with the staged version if it is still the version staged from.

    Raises:
        WriteConflictError: The object changed since it was staged.
        LogVanishedError: The object no longer exists.
    """
    if item.tail_edit is not None:
        item.new_token = await s3edit.commit(item.tail_edit)
        item.committed = True
        return
    with open(item.temp, "rb") as f:
        body = f.read()
    expected = item.expected if isinstance(item.expected, str) else None
    item.new_token = await s3.put_object(item.log.location, body, if_match=expected)
    item.committed = True


def rollback(item: Staged) -> None:
    """Put the old version back after a committed write, if nobody wrote over ours since."""
    token = item.new_token if isinstance(item.new_token, str) else None
    if item.tail_edit is not None and token is not None:
        restored = s3.run(s3edit.restore(item.tail_edit, token))  # the old tail, samples kept
    else:
        with open(item.backup, "rb") as f:
            old = f.read()
        restored = s3.run(s3.put_object(item.log.location, old, if_match=token))
    # The old bytes are back under a new ETag: what we read is current again.
    state = state_of(item.log.location)
    if state is not None:
        state.token = restored


def discard(item: Staged) -> None:
    """Drop what staging left: an upload never completed is aborted, the scratch removed."""
    if item.tail_edit is not None:
        s3.run(s3edit.discard(item.tail_edit))
    if item.scratch:
        shutil.rmtree(item.scratch, ignore_errors=True)
