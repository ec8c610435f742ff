"""Header edits of large ``.eval`` objects on S3 that leave the samples on the server.

When the bytes before the object's central directory are at least S3's minimum part size, a header
edit is staged as a multipart upload (``s3parts``): those bytes are copied server-side, and only the
new tail — a new ``header.json`` member, central directory and end record, written by the same
header writer as local logs on a sparse mirror of the old tail (``ziptail``) — is uploaded. The
edit costs O(header) in transfer, not O(object). Smaller objects keep the whole-object GET + PUT
(``s3write.stage``).

Before creating the upload, the incomplete uploads of the same key that runs killed mid-edit left
are aborted (``leftovers.abort_stale_uploads``: one listing request, sent while the new tail is
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

from inspect_flow._logs import leftovers, s3, s3parts, ziptail
from inspect_flow._logs.s3parts import Upload
from inspect_flow._logs.state import scope_open
from inspect_flow._logs.ziptail import ZipEnd

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


_ENDS: dict[tuple[str, str], ZipEnd] = {}


def remember_end(location: str, etag: str, end: ZipEnd) -> None:
    """Record where the central directory of version ``etag`` of an object starts (header reads)."""
    _ENDS[(location, etag)] = end


def forget_ends() -> None:
    """Forget every recorded zip end (called when a step run ends)."""
    _ENDS.clear()


async def stage(
    log: EvalLog, etag: str, scratch: str, write_header: WriteHeader
) -> tuple[TailEdit | None, bytes | None]:
    """Stage the header edit of ``log`` as a multipart upload, if its object is large enough.

    Args:
        log: The edited header-only log (``location`` is the object).
        etag: The version it was read from.
        scratch: A private local directory for the mirror and the tails.
        write_header: The header writer.

    Returns:
        ``(edit, None)`` when staged. Otherwise nothing was staged and the caller rewrites the
        whole object: ``(None, body)`` when finding out fetched the whole object (version ``etag``),
        else ``(None, None)``.

    Raises:
        WriteConflictError: The object is no longer at version ``etag``.
        LogVanishedError: The object no longer exists.
    """
    location = log.location
    end = _ENDS.pop((location, etag), None)
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
    sweep = asyncio.ensure_future(leftovers.abort_stale_uploads(location))
    try:
        new, new_end = await asyncio.to_thread(_new_tail, log, scratch, end, old, write_header)
    finally:
        await sweep  # never raises; and it is done before our own upload exists
    old_path, new_path = _save(scratch, "old-tail", old), _save(scratch, "new-tail", new)
    edit = TailEdit(location, etag, end.start_dir, old_path, new_path, new_end)
    edit.upload = await s3parts.stage(location, edit.keep, new, etag)
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


async def commit(edit: TailEdit) -> str:
    """Complete the staged upload if the object is still at ``edit.etag``; return the new ETag."""
    upload, edit.upload = edit.upload, None
    if upload is None:
        raise RuntimeError(f"no staged upload to complete for {edit.location}")
    etag = await s3parts.complete(upload, edit.etag)  # aborts the upload when it fails
    if scope_open():  # a later edit in this run then needs no tail GET to find the directory
        remember_end(edit.location, etag, edit.new_end)
    return etag


async def restore(edit: TailEdit, current: str) -> str:
    """Put the old version back after a committed edit, if the object is still at ``current``.

    The new object starts with the same ``keep`` bytes as the old one, so they are copied from it
    and only the old tail is uploaded. Returns the restored object's ETag.
    """
    upload = await s3parts.stage(edit.location, edit.keep, _load(edit.old_tail), current)
    return await s3parts.complete(upload, current)


async def discard(edit: TailEdit) -> None:
    """Abort the staged upload of an edit that is not going to be committed."""
    upload, edit.upload = edit.upload, None
    if upload is not None:
        await s3parts.abort(upload)
