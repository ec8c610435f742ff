"""Safe log copies (DESIGN §3 item 5).

* A copy never appears under its final name until it is complete: local copies are written to a
  hidden temp file in the destination directory and then linked/renamed into place; S3 objects only
  become visible when their upload completes. So an interrupted copy never leaves a file that a
  later run would skip as "already exists".
* Without ``overwrite`` an existing destination is skipped and not touched (local: ``os.link``
  refuses to replace, so a file created concurrently is not clobbered; S3: ``If-None-Match: *``).
* S3 → S3 copies are server-side. A batch is all-or-nothing: if one copy fails, no new copy starts,
  and the copies already made by the batch are removed and overwritten files are restored.
* Hidden temp files get their names from ``leftovers``, which removes those of killed runs from
  the destination directories before a batch stages into them.
* Copies run several at a time (bounded), each on its own temp file; a batch in which a log is both
  a source and a destination keeps the plan's order (one at a time).
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal

from inspect_flow._errors import CommitError, FlowUsageError, WriteConflictError, one_line
from inspect_flow._logs import leftovers, localfiles, paths, s3
from inspect_flow._logs.state import Token, local_token

CopyStatus = Literal["copied", "skipped", "failed", "not written"]
# Copies in flight at once. Local: a copy is mostly waiting on the kernel (sendfile, and fsync,
# which the filesystem journal commits together for concurrent callers) with the GIL released.
# Measured (2 cores, ext4, 1000 small logs, three interleaved runs): 4 threads took 0.73-0.97 of
# the sequential time, 8 threads 0.64-0.84, 16 no better. S3: each copy waits on the s3fs event
# loop, whose connection pool holds 10 connections (as in s3.S3_CONCURRENCY).
LOCAL_COPY_CONCURRENCY = 8
S3_COPY_CONCURRENCY = s3.S3_CONCURRENCY


@dataclass
class CopyOutcome:
    """What happened to one copy of a batch."""

    source: str
    dest: str
    status: CopyStatus
    detail: str = ""
    token: Token | None = None  # the copy's version token (local stat or S3 ETag), when copied


@dataclass(eq=False)  # identity: copies are dict keys and set members
class _Copy:
    source: str
    dest: str
    source_etag: str | None
    temp: str = ""
    backup: str = ""
    status: CopyStatus = "not written"
    detail: str = ""
    token: Token | None = None


def check_plan(pairs: Sequence[tuple[str, str]]) -> None:
    """Refuse plans that would copy a log onto itself or two logs onto one destination."""
    seen: dict[str, str] = {}
    for source, dest in pairs:
        if source == dest or _same_local_file(source, dest):
            raise FlowUsageError(f"Refusing to copy a log onto itself: {paths.display_path(dest)}")
        if dest in seen:
            raise FlowUsageError(
                f"Two logs would be copied to {paths.display_path(dest)}: "
                f"{paths.display_path(seen[dest])} and {paths.display_path(source)}"
            )
        seen[dest] = source


def _same_local_file(source: str, dest: str) -> bool:
    if not (paths.is_local(source) and paths.is_local(dest)):
        return False
    try:
        return os.path.samefile(paths.local_path(source), paths.local_path(dest))
    except OSError:
        return False


def exists(location: str) -> bool:
    """Return True when a log exists at ``location``."""
    if paths.is_local(location):
        return os.path.exists(paths.local_path(location))
    return s3.run(s3.head_etag(location)) is not None


def copy_logs(
    pairs: Sequence[tuple[str, str, str | None]], overwrite: bool = False
) -> list[CopyOutcome]:
    """Copy logs all-or-nothing, several at a time (bounded).

    Args:
        pairs: (source, destination, source ETag or None) locations.
        overwrite: Replace existing destinations (otherwise they are skipped, untouched).

    Raises:
        CommitError: A copy failed; the batch's other copies were undone.
    """
    check_plan([(s, d) for s, d, _ in pairs])
    copies = [_Copy(s, d, e) for s, d, e in pairs]
    local = [c.dest for c in copies if paths.is_local(c.dest)]
    leftovers.sweep_local(os.path.dirname(paths.local_path(dest)) for dest in local)
    try:
        failures = _copy_all(copies, overwrite)
        if failures:
            done = [c for c in copies if c.status == "copied"]
            stuck = [other for other in reversed(done) if not _undo(other)]
            outcomes = [
                CopyOutcome(
                    c.source,
                    c.dest,
                    "failed" if c in failures or c in stuck else "not written",
                    c.detail,
                )
                for c in copies
            ]
            item, exc = next(iter(failures.items()))
            left = f" ({len(stuck)} copies could not be undone)" if stuck else ""
            raise CommitError(
                f"Copy failed, nothing copied{left}: {paths.display_path(item.dest)}: "
                f"{item.detail}",
                outcomes,
            ) from exc
    finally:
        for item in copies:
            _discard(item)
        leftovers.report()
    return [CopyOutcome(c.source, c.dest, c.status, c.detail, c.token) for c in copies]


def _copy_all(copies: list[_Copy], overwrite: bool) -> dict[_Copy, BaseException]:
    """Run the copies in a bounded thread pool; after the first failure start no new copy.

    Returns:
        The failed copies (in plan order) and their errors; each has status ``failed``.
    """
    failures: dict[_Copy, BaseException] = {}
    stop = threading.Event()

    def run(item: _Copy) -> None:
        if stop.is_set():
            return  # the batch failed: stays "not written"
        try:
            _copy_one(item, overwrite)
        except Exception as exc:
            item.status, item.detail = "failed", one_line(exc)
            failures[item] = exc
            stop.set()

    sources = {c.source for c in copies}
    if len(copies) < 2 or any(c.dest in sources for c in copies):
        # A log that is both copied and overwritten in one batch: the order decides what its
        # copy holds, so keep the plan's order.
        workers = 1
    else:
        remote = any(not paths.is_local(c.dest) for c in copies)
        workers = min(S3_COPY_CONCURRENCY if remote else LOCAL_COPY_CONCURRENCY, len(copies))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        # On Ctrl+C (or any BaseException from a copy) map's iterator cancels the queued copies.
        list(pool.map(run, copies))
    return {c: failures[c] for c in copies if c in failures}


def _copy_one(item: _Copy, overwrite: bool) -> None:
    if paths.is_local(item.dest):
        _copy_to_local(item, overwrite)
    else:
        _copy_to_s3(item, overwrite)


def _copy_to_local(item: _Copy, overwrite: bool) -> None:
    dest = paths.local_path(item.dest)
    if os.path.exists(dest) and not overwrite:
        item.status, item.detail = "skipped", "already exists"
        return
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    item.temp = leftovers.temp_name(dest, "flowtmp")
    if paths.is_local(item.source):
        source = paths.local_path(item.source)
        before = local_token(source)
        localfiles.clone_or_copy(source, item.temp)  # O(1) on reflink filesystems
        if local_token(source) != before:
            raise WriteConflictError(f"Log changed while it was copied: {item.source}")
    else:
        body, _, _ = s3.run(s3.get_object(item.source, if_match=item.source_etag))
        with open(item.temp, "wb") as f:
            f.write(body)
    with open(item.temp, "rb") as f:
        os.fsync(f.fileno())
    if overwrite and os.path.exists(dest):
        item.backup = leftovers.temp_name(dest, "flowbak")
        os.link(dest, item.backup)
        os.replace(item.temp, dest)
    else:
        try:
            os.link(item.temp, dest)  # fails if dest appeared meanwhile: never clobber
        except FileExistsError:
            item.status, item.detail = "skipped", "already exists"
            return
    item.status = "copied"
    item.token = local_token(dest)


def _copy_to_s3(item: _Copy, overwrite: bool) -> None:
    existing = s3.run(s3.head_etag(item.dest))
    if existing is not None and not overwrite:
        item.status, item.detail = "skipped", "already exists"
        return
    if existing is not None:
        item.backup = item.dest + f".flowbak-{uuid.uuid4().hex[:12]}"
        s3.run(s3.copy_object(item.dest, item.backup, existing))
    if paths.is_s3(item.source):
        item.token = s3.run(s3.copy_object(item.source, item.dest, item.source_etag))
    else:
        with open(paths.local_path(item.source), "rb") as f:
            body = f.read()
        try:
            item.token = s3.run(s3.put_object(item.dest, body, if_none_match=existing is None))
        except WriteConflictError:
            item.status, item.detail = "skipped", "already exists"
            return
    item.status = "copied"


def _undo(item: _Copy) -> bool:
    """Remove a copy made by a failed batch, restoring what it overwrote.

    Returns:
        False when it could not be undone (the copy stays, complete; its outcome says so).
    """
    try:
        if paths.is_local(item.dest):
            dest = paths.local_path(item.dest)
            if item.backup:
                os.replace(item.backup, dest)
                item.backup = ""
            else:
                os.unlink(dest)
        elif item.backup:
            s3.run(s3.copy_object(item.backup, item.dest))
        else:
            s3.run(s3.delete_object(item.dest))
    except Exception as exc:
        item.detail = f"copied, and could not be undone after the batch failed: {one_line(exc)}"
        return False
    return True


def _discard(item: _Copy) -> None:
    for leftover in (item.temp, item.backup):
        if not leftover:
            continue
        try:
            if paths.is_s3(leftover):
                s3.run(s3.delete_object(leftover))
            else:
                os.unlink(leftover)
        except (FileNotFoundError, OSError):
            pass
