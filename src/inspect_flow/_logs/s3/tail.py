"""Header edits of large ``.eval`` objects on S3 that leave the samples on the server.

When the bytes before the object's central directory are at least S3's minimum part size, a header
edit is staged as a multipart upload (``parts``): those bytes are copied server-side, and only the
new tail — a new ``header.json`` member, central directory and end record, written by the same
header writer as local logs on a sparse mirror of the old tail (``format.ziptail``) — is
uploaded. The edit costs O(header) in transfer, not O(object). Smaller objects keep the
whole-object GET + PUT (``s3.backend``).

Before creating the upload, the incomplete uploads of the same key that runs killed mid-edit left
are aborted (``cleanup.abort_stale_uploads``: one listing request, sent while the new tail is
built).

Like every header write, this keeps the old ``header.json`` member as dead bytes before the new one
(inspect_ai's own local header edit does the same); readers follow the central directory.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from inspect_flow._logs import cleanup
from inspect_flow._logs.format import ziptail
from inspect_flow._logs.format.ziptail import ZipEnd
from inspect_flow._logs.s3 import client as s3
from inspect_flow._logs.s3 import parts as s3parts
from inspect_flow._logs.s3.parts import Upload
from inspect_flow._logs.session import Session

if TYPE_CHECKING:
    from inspect_ai.log import EvalLog

WriteHeader = Callable[["EvalLog", str, str], None]
"""``(log, local_path, format)``: write ``log``'s header into the local log file at the path."""


@dataclass
class TailEdit:
    """One staged large-object header edit.

    Attributes:
        location: The object's ``s3://`` URI.
        etag: The version the edit was made from (and must replace).
        keep: Leading bytes kept as they are (everything before the old central directory).
        old_tail: Local file holding the old object's remaining bytes (to put it back).
        new_tail: Local file holding the new object's remaining bytes.
        new_end: The new object's zip end.
        upload: The staged multipart upload while it is neither completed nor aborted.
    """

    location: str
    etag: str
    keep: int
    old_tail: str
    new_tail: str
    new_end: ZipEnd
    upload: Upload | None = None


async def stage(
    log: EvalLog, etag: str, scratch: str, write_header: WriteHeader, session: Session
) -> tuple[TailEdit | None, bytes | None]:
    """Stage the header edit of ``log`` as a multipart upload, if its object is large enough.

    Args:
        log: The edited header-only log (``location`` is the object).
        etag: The version it was read from.
        scratch: A private local directory for the mirror and the tails.
        write_header: The header writer.
        session: The run's session (zip ends its reads found; where housekeeping is noted).

    Returns:
        ``(edit, None)`` when staged. Otherwise nothing was staged and the caller rewrites the
        whole object: ``(None, body)`` when finding out fetched the whole object (version ``etag``),
        else ``(None, None)``.

    Raises:
        WriteConflictError: The object is no longer at version ``etag``.
        LogVanishedError: The object no longer exists.
    """
    location = log.location
    end = session.take_end(location, etag)
    if end is not None:
        if end.start_dir < s3parts.MIN_PART_BYTES:
            return None, None
        # Conditional, so a change since the read is a conflict before anything is staged (moto
        # checks this one, not the copy and complete conditions); it is just the small tail.
        old, _, _ = await s3.get_object(
            location, f"bytes={end.start_dir}-{end.total - 1}", if_match=etag
        )
    else:
        tail, _, total = await s3.get_object(
            location, f"bytes=-{ziptail.TAIL_BYTES}", if_match=etag
        )
        if len(tail) >= total:
            return None, tail
        end, old = await ziptail.load_end(location, etag, tail, total)
        if end.start_dir < s3parts.MIN_PART_BYTES:
            return None, None
    # An upload is about to be created for this key: first abort the ones interrupted runs left
    # (one listing request, sent while the new tail is built, so it costs no time).
    sweep = asyncio.ensure_future(cleanup.abort_stale_uploads(location, session.cleanup))
    try:
        new, new_end = await asyncio.to_thread(_new_tail, log, scratch, end, old, write_header)
    finally:
        await sweep  # never raises; and it is done before our own upload exists
    old_path, new_path = await asyncio.to_thread(
        lambda: (_save(scratch, "old-tail", old), _save(scratch, "new-tail", new))
    )
    edit = TailEdit(location, etag, end.start_dir, old_path, new_path, new_end)
    edit.upload = await s3parts.stage(location, edit.keep, new, etag, report=session.cleanup)
    return edit, None


def _new_tail(
    log: EvalLog, scratch: str, end: ZipEnd, old: bytes, write_header: WriteHeader
) -> tuple[bytes, ZipEnd]:
    mirror = os.path.join(scratch, "mirror.eval")
    ziptail.make_mirror(mirror, end, old)
    write_header(log, mirror, "eval")
    return ziptail.new_tail(mirror, end, old)


def _save(scratch: str, name: str, data: bytes) -> str:
    path = os.path.join(scratch, name)
    with open(path, "wb") as f:
        f.write(data)
    return path


def _load(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


async def commit(edit: TailEdit, session: Session) -> str:
    """Complete the staged upload if the object is still at ``edit.etag``; return the new ETag."""
    upload, edit.upload = edit.upload, None
    if upload is None:
        raise RuntimeError(f"no staged upload to complete for {edit.location}")
    # aborts the upload when it fails
    etag = await s3parts.complete(upload, edit.etag, report=session.cleanup)
    # a later edit in this run then needs no tail GET to find the directory
    session.remember_end(edit.location, etag, edit.new_end)
    return etag


async def restore(edit: TailEdit, current: str) -> str:
    """Put the old version back after a committed edit, if the object is still at ``current``.

    The new object starts with the same ``keep`` bytes as the old one, so they are copied from it
    and only the old tail is uploaded. Returns the restored object's ETag.
    """
    old = await asyncio.to_thread(_load, edit.old_tail)
    upload = await s3parts.stage(edit.location, edit.keep, old, current)
    return await s3parts.complete(upload, current)


async def discard(edit: TailEdit, session: Session) -> None:
    """Abort the staged upload of an edit that is not going to be committed."""
    upload, edit.upload = edit.upload, None
    if upload is not None:
        await s3parts.abort(upload, session.cleanup)
