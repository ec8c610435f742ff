"""S3 writes: nothing is visible until the commit, and every commit is conditional.

* A header edit of a small object is staged in memory: its new bytes are built from the body the
  header read kept (or one GET) and committed with a PUT ``If-Match`` the version read; the old
  bytes stay in memory for a rollback. A large ``.eval`` object is staged as a multipart upload
  that keeps its samples on the server (``tail``) and committed by completing it.
* Whether a copy's destination exists is decided by one listing of each destination folder (not a
  HEAD per destination). A copy whose bytes are at hand (a small source's body kept by the
  header read, an edit staged by this batch, a local source, or a copy with its own header) is
  staged in memory and committed by one PUT ``If-None-Match: *`` (or, with ``overwrite``,
  ``If-Match`` the version listed; the old version is first kept beside it as
  ``NAME.flowbak-…`` for rollback). The condition guards against a destination that appeared
  after the listing. Any other S3 source (a large one, or one this run did not read) is copied
  server-side: a multipart upload of the destination with ``UploadPartCopy`` (conditional on the
  source's ETag), completed under the same conditions.

Staging and commits run as coroutines on the s3fs event loop; local file work and header
serialisation run in worker threads, never on the loop. Rollback runs in the engine's thread.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from inspect_flow._errors import LogVanishedError, WriteConflictError
from inspect_flow._logs import interrupt, locations
from inspect_flow._logs.backend import Staged
from inspect_flow._logs.format.writer import fmt, header_into_bytes, write_header_into
from inspect_flow._logs.s3 import client as s3
from inspect_flow._logs.s3 import parts, tail
from inspect_flow._logs.session import Session, Token

if TYPE_CHECKING:
    from inspect_ai.log import EvalLog

# A PUT (or a part uploaded in one request) holds at most this much (S3's limit).
MAX_PART_BYTES = 5 * 1024 * 1024 * 1024


@dataclass
class InMemory:
    """A write staged in memory, committed by one conditional PUT.

    Attributes:
        new: The object's new bytes.
        old: An edit: the bytes it replaces (put back on rollback). None for a copy.
    """

    new: bytes
    old: bytes | None = None


class S3Backend:
    """The S3 implementation of the backend interface."""

    def read_all(
        self, locations: list[str], session: Session, advance: Callable[[], None]
    ) -> list[tuple[EvalLog, Token] | str]:
        """Read S3 headers concurrently (see ``s3.read``)."""
        from inspect_flow._logs.s3 import read

        return read.read_all(locations, session, advance)

    def sweep(self, items: list[Staged], session: Session) -> None:
        """Nothing to sweep up front: a large edit aborts its key's stale uploads while staging."""

    def stage_all(self, items: list[Staged], session: Session) -> dict[Staged, BaseException]:
        """Stage every item concurrently (bounded) on the s3fs loop."""
        if not items:
            return {}
        copies = [item.location for item in items if item.is_copy]
        try:  # one listing per destination folder: which destinations exist, at which version
            found = s3.run(s3.list_etags(copies)) if copies else {}
        except Exception as exc:
            return dict.fromkeys(items, exc)

        async def one(item: Staged) -> None:
            interrupt.check()  # Ctrl+C: no new upload is started
            if item.is_copy:
                await _stage_copy(item, session, found[item.location])
            else:
                await _stage_edit(item, session)

        outcomes = s3.run_all(one, items)
        return {i: o for i, o in zip(items, outcomes, strict=True) if isinstance(o, BaseException)}

    def commit_all(self, items: list[Staged], session: Session) -> dict[Staged, BaseException]:
        """Commit every item concurrently (bounded): each commit is conditional on its own."""
        if not items:
            return {}

        async def one(item: Staged) -> None:
            interrupt.check()  # Ctrl+C: no further conditional write is sent
            await (_commit_copy if item.is_copy else _commit_edit)(item, session)

        outcomes = s3.run_all(one, items)
        return {i: o for i, o in zip(items, outcomes, strict=True) if isinstance(o, BaseException)}

    def rollback(self, item: Staged, session: Session) -> None:
        """Put the old version back, if nobody wrote over ours since (a copy: remove it)."""
        token = item.new_token if isinstance(item.new_token, str) else None
        if item.is_copy:
            if item.backup:
                s3.run(s3.copy_object(item.backup, item.location))
            else:
                s3.run(s3.delete_object(item.location))
            item.committed = False
            return
        if isinstance(item.pending, tail.TailEdit) and token is not None:
            restored = s3.run(tail.restore(item.pending, token))  # the old tail, samples kept
        else:
            assert isinstance(item.pending, InMemory) and item.pending.old is not None
            restored = s3.run(s3.put_object(item.location, item.pending.old, if_match=token))
        item.committed = False
        # The old bytes are back under a new ETag: what we read is current again.
        state = session.state_of(item.location)
        if state is not None:
            state.token = restored

    def discard(self, item: Staged, session: Session) -> None:
        """Abort an upload never completed; remove the scratch and a copy's backup object."""
        pending, item.pending = item.pending, None
        if item.keep_old and isinstance(pending, InMemory) and pending.old is not None:
            _keep_old(item.location, pending.old, session)
        session.drop_body(item.location)  # its write is over: the body read is no longer needed
        if item.source:
            session.drop_body(item.source)
        if isinstance(pending, tail.TailEdit):
            s3.run(tail.discard(pending, session))
        elif isinstance(pending, parts.Upload):
            s3.run(parts.abort(pending, session.cleanup))
        if item.is_copy and item.backup:
            try:
                s3.run(s3.delete_object(item.backup))
            except Exception as exc:
                session.cleanup.note(f"Could not remove the backup {item.backup}: {exc}")
        if item.scratch:
            shutil.rmtree(item.scratch, ignore_errors=True)

    def sync(self, items: list[Staged]) -> None:
        """Nothing to do: a completed S3 write is durable."""


BACKEND = S3Backend()


# ------------------------------------------------------------------------------------- edits


async def _stage_edit(item: Staged, session: Session) -> None:
    """Stage the object's new version, checking it is still the version read.

    Raises:
        WriteConflictError: The object changed since it was read.
        LogVanishedError: The object no longer exists.
    """
    assert item.log is not None
    location = item.location
    expected = item.expected if isinstance(item.expected, str) else None
    body = session.body(location, expected) if expected else None
    if body is None and expected and fmt(location) == "eval":
        # a large object: keep its samples on the server when it is large enough (tail)
        item.scratch = await asyncio.to_thread(tempfile.mkdtemp, prefix="inspect-flow-stage-")
        item.pending, body = await tail.stage(
            item.log, expected, item.scratch, write_header_into, session
        )
        if item.pending is not None:
            return
    if body is None:
        body, etag, _ = await s3.get_object(location, if_match=expected)
        expected = etag
    item.expected = expected
    new = await asyncio.to_thread(header_into_bytes, item.log, body, fmt(location))
    item.pending = InMemory(new, old=body)
    item.staged_body = new  # a copy of this edit is made from it


async def _commit_edit(item: Staged, session: Session) -> None:
    """Replace the object with the staged version if it is still the version staged from."""
    if isinstance(item.pending, tail.TailEdit):
        item.new_token = await tail.commit(item.pending, session)  # kept: rollback needs it
        item.committed = True
        return
    assert isinstance(item.pending, InMemory)
    expected = item.expected if isinstance(item.expected, str) else None
    item.new_token = await s3.put_object(item.location, item.pending.new, if_match=expected)
    item.committed = True


# ------------------------------------------------------------------------------------ copies


async def _stage_copy(item: Staged, session: Session, existing: str | None) -> None:
    """Stage the copy (invisible until committed), given the destination's listed version.

    Raises:
        WriteConflictError: The destination exists (without ``overwrite``), or the source changed
            since it was read.
        LogVanishedError: The source no longer exists.
    """
    assert item.source is not None
    if existing is not None and not item.overwrite:
        raise _appeared(item.location)
    item.expected = existing
    etag = item.source_token if isinstance(item.source_token, str) else None
    body = item.staged_body
    if body is None and item.base:
        body = await asyncio.to_thread(_read_file, item.base)
    elif body is None and locations.is_s3(item.source):
        body = session.body(item.source, etag) if etag else None
        if body is None and item.log is None:  # not at hand: copy it server-side
            await _stage_server_copy(item, etag, session)
            return
        if body is None:
            body, _, _ = await s3.get_object(item.source, if_match=etag)
    elif body is None:
        from inspect_flow._logs.local.backend import read_local_source

        body = await asyncio.to_thread(read_local_source, item.source, item.source_token)
    if item.log is not None:
        body = await asyncio.to_thread(header_into_bytes, item.log, body, fmt(item.location))
    if len(body) > MAX_PART_BYTES:
        raise ValueError(f"copies with a new header are limited to 5 GiB on S3: {item.location}")
    item.pending = InMemory(body)


async def _stage_server_copy(item: Staged, etag: str | None, session: Session) -> None:
    """Stage a byte-for-byte copy of an S3 source as a multipart upload with ``UploadPartCopy``."""
    assert item.source is not None
    found = await s3.head(item.source)
    if found is None:
        raise LogVanishedError(f"Log no longer exists: {item.source}")
    if etag and found[0] != etag:
        raise WriteConflictError(f"Log changed since it was read (ETag differs): {item.source}")
    item.pending = await parts.stage(
        item.location, found[1], b"", found[0], source=item.source, report=session.cleanup
    )


def _keep_old(location: str, old: bytes, session: Session) -> None:
    """Save the previous version of a log written and not put back (it may exist nowhere else)."""
    try:
        directory = tempfile.mkdtemp(prefix="inspect-flow-stage-")
        path = f"{directory}/{location.rsplit('/', 1)[-1]}"
        with open(path, "wb") as f:
            f.write(old)
    except OSError as exc:
        session.cleanup.note(f"Could not keep the previous version of {location}: {exc}")
        return
    session.cleanup.note(f"The previous version of {location} is kept in {path}")


def _read_file(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def _appeared(location: str) -> WriteConflictError:
    return WriteConflictError(
        f"A log appeared at the destination since the copy was planned: {location}"
    )


async def _commit_copy(item: Staged, session: Session) -> None:
    """Complete the copy's upload: only onto an absent destination, or the version staged over."""
    upload, item.pending = item.pending, None
    existing = item.expected if isinstance(item.expected, str) else None
    if existing is not None:  # overwrite: keep the old version beside it, for rollback
        item.backup = f"{item.location}.flowbak-{uuid.uuid4().hex[:12]}"
        try:
            await s3.copy_object(item.location, item.backup, existing)
        except BaseException:
            if isinstance(upload, parts.Upload):
                await parts.abort(upload, session.cleanup)
            raise
    try:
        if isinstance(upload, InMemory):
            item.new_token = await s3.put_object(
                item.location, upload.new, if_match=existing, if_none_match=existing is None
            )
        else:
            item.new_token = await parts.complete(
                upload, existing, absent=existing is None, report=session.cleanup
            )
    except WriteConflictError as exc:
        if existing is None:
            raise _appeared(item.location) from exc
        raise
    item.committed = True
