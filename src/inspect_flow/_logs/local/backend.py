"""Local writes: stage a hidden new file beside the target, swap it in with ``os.replace``.

A reader, or a crash at any instant, sees the whole old file or the whole new one. The old version
of a replaced file is kept as a hard link until the batch is over, so a failed batch can put it
back without copying. A copy that creates its destination is linked into place (``os.link``
refuses to replace a file that appeared meanwhile). The hidden names come from ``cleanup``, which
removes those of killed runs.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, TypeVar

from inspect_flow import _output
from inspect_flow._errors import LogVanishedError, WriteConflictError
from inspect_flow._logs import cleanup, interrupt, locations
from inspect_flow._logs.backend import Staged
from inspect_flow._logs.format import headers
from inspect_flow._logs.format.writer import fmt, write_header_into
from inspect_flow._logs.local import files, lock
from inspect_flow._logs.local.files import local_token
from inspect_flow._logs.s3 import client as s3
from inspect_flow._logs.session import Session, Token

T = TypeVar("T")

if TYPE_CHECKING:
    from inspect_ai.log import EvalLog

# Stagings in flight at once. An edit is CPU-bound in part (the header write); a copy is mostly
# waiting on the kernel (sendfile, and fsync, which the filesystem journal commits together for
# concurrent callers) with the GIL released. Measured (2 cores, ext4, 1000 small logs): copies
# took 0.64-0.84 of the sequential time with 8 threads, 16 no better.
EDIT_CONCURRENCY = 4
COPY_CONCURRENCY = 8


def _path(location: str) -> str:
    return locations.local_path(location)


def _shown(path: str) -> str:
    return locations.display_path(path)


def _target(item: Staged) -> str:
    """Return the file a write replaces: for an edit of a symlinked log, the link's target.

    The link is kept and the real log is edited through it (staged beside the real log, so the
    swap stays on one filesystem).
    """
    if not item.target:  # resolved once: a realpath costs a stat per path component
        path = _path(item.location)
        item.target = path if item.is_copy else os.path.realpath(path)
    return item.target


class LocalBackend:
    """The local-disk implementation of the backend interface."""

    def read_all(
        self, locations: list[str], session: Session, advance: Callable[[], None]
    ) -> list[tuple[EvalLog, Token] | str]:
        """Read local headers on one event loop (see ``local.read``)."""
        from inspect_flow._logs.local import read

        return read.read_all(locations, advance)

    def sweep(self, items: list[Staged], session: Session) -> None:
        """Remove the leftovers of killed runs in the directories the items stage into."""
        cleanup.sweep_local((os.path.dirname(_target(i)) for i in items), session.cleanup)

    def stage_all(self, items: list[Staged], session: Session) -> dict[Staged, BaseException]:
        """Stage every item in a bounded thread pool; after a failure no new copy starts.

        Every edit is staged even then, so that each conflicting log is reported.
        """
        if not items:
            return {}
        failures: dict[Staged, BaseException] = {}
        stop = threading.Event()

        def run(item: Staged) -> None:
            if stop.is_set() and item.is_copy:
                return  # the batch failed: stays unstaged
            try:
                interrupt.check()  # Ctrl+C: nothing new is started
                (_stage_copy if item.is_copy else _stage_edit)(item, session)
            except Exception as exc:
                failures[item] = exc
                stop.set()

        width = COPY_CONCURRENCY if any(i.is_copy for i in items) else EDIT_CONCURRENCY
        with (
            _output.progress("Writing logs", len(items)) as advance,
            ThreadPoolExecutor(max_workers=min(width, len(items))) as pool,
        ):
            # On Ctrl+C (or any BaseException) map's iterator cancels the queued stagings.
            for _ in pool.map(run, items):
                advance()
        if not failures:  # (a failed batch commits nothing: no need to flush it)
            # Durable before any of them replaces a log: one flush for the whole batch.
            staged = {i.temp: i for i in items if i.temp}
            for path, exc in files.make_durable(list(staged)).items():
                failures[staged[path]] = exc
        return {i: failures[i] for i in items if i in failures}

    def commit_all(self, items: list[Staged], session: Session) -> dict[Staged, BaseException]:
        """Swap the staged files in one by one (renames are cheap); stop at the first failure.

        After Ctrl+C no further file is swapped in (the batch then rolls back).
        """
        for item in items:
            try:
                interrupt.check()
                (_commit_copy if item.is_copy else _commit_edit)(item)
            except Exception as exc:
                return {item: exc}
        return {}

    def rollback(self, item: Staged, session: Session) -> None:
        """Put the old version back, or remove a created copy (only if it is still ours).

        Raises:
            WriteConflictError: Another process wrote the log after us: our version is not
                put back over theirs (the previous version stays in the backup, reported).
        """
        path = _target(item)
        if item.backup and _same_file(item.backup, path):
            os.unlink(item.backup)  # the swap did not happen (rename() between links is a no-op)
            item.backup = ""
        elif item.backup:
            with lock.locked(path):
                if item.new_token is not None and local_token(path) != item.new_token:
                    raise WriteConflictError(
                        f"Log changed by another process after our write: {_shown(path)}"
                    )
                os.replace(item.backup, path)
            item.backup = ""
        elif item.temp and _same_file(item.temp, path):
            os.unlink(path)
        item.committed = False

    def discard(self, item: Staged, session: Session) -> None:
        """Remove the temp file and backup link (both unused once the batch ends)."""
        for leftover in (item.temp, item.backup):
            if leftover:
                try:
                    os.unlink(leftover)
                except FileNotFoundError:
                    pass
        if not item.committed:
            for directory in reversed(item.made_dirs):  # only the empty ones we made
                try:
                    os.rmdir(directory)
                except OSError:
                    break

    def sync(self, items: list[Staged]) -> None:
        """Make the renames durable (fsync each directory once)."""
        for directory in {os.path.dirname(_target(i)) for i in items}:
            try:
                fd = os.open(directory, os.O_RDONLY)
            except OSError:
                continue
            try:
                os.fsync(fd)
            except OSError:
                pass
            finally:
                os.close(fd)


BACKEND = LocalBackend()


# ------------------------------------------------------------------------------------- edits


def _stage_edit(item: Staged, session: Session) -> None:
    """Build the log's new version in a hidden temp file beside it, if it is still as read.

    Raises:
        LogVanishedError: The log no longer exists.
        WriteConflictError: The log changed since it was read, or while it was staged.
    """
    assert item.log is not None
    path = _target(item)
    before = _current(path)
    if item.expected is not None and before != item.expected:
        raise WriteConflictError(f"Log changed since it was read: {_shown(path)}")
    item.expected = before
    if not os.access(path, os.W_OK, effective_ids=os.access in os.supports_effective_ids):
        raise PermissionError(f"Log is read-only (no write permission): {_shown(path)}")
    item.temp = cleanup.temp_name(path, "flowtmp")
    with _naming(path, "the log's folder"):
        if fmt(path) == "json" and _stage_json(item, path, before):
            return
        files.clone_or_copy(path, item.temp)  # O(1) on reflink filesystems; the log's mode
        _check_unchanged(path, before)
        write_header_into(item.log, item.temp, fmt(path))


@contextlib.contextmanager
def _naming(path: str, where: str) -> Iterator[None]:
    """Report a permission error on a hidden temp file as one about ``path`` (the user's name)."""
    try:
        yield
    except PermissionError as exc:
        if exc.filename is None or not os.path.basename(str(exc.filename)).startswith("."):
            raise
        raise PermissionError(
            f"Cannot write in {where} (permission denied): {_shown(path)}"
        ) from exc


def _current(path: str) -> Token:
    try:
        return local_token(path)
    except FileNotFoundError as exc:
        raise LogVanishedError(f"Log no longer exists: {_shown(path)}") from exc


def _stage_json(item: Staged, path: str, before: Token) -> bool:
    """Write the new ``.json`` log straight into the temp file (no pre-copy).

    Returns:
        False when inspect_ai's serialiser is unavailable (nothing written).
    """
    assert item.log is not None
    with open(path, "rb") as f:
        original = f.read()
    _check_unchanged(path, before)  # what we read is the version the step saw
    document = headers.json_with_new_header(original, item.log)
    if document is None:
        return False
    files.write_new_file(item.temp, document, mode_from=path)
    return True


def _check_unchanged(path: str, before: Token, verb: str = "staged") -> None:
    if local_token(path) != before:
        raise WriteConflictError(f"Log changed while it was {verb}: {_shown(path)}")


def _commit_edit(item: Staged) -> None:
    """Swap the staged file in, if the log is still the version staged from.

    The check and the swap are one compare-and-swap among flow processes: both happen under
    the log's lock (``local.lock``), so of two runs that read the same version only one swaps.
    """
    path = _target(item)
    with contextlib.ExitStack() as held:
        try:
            held.enter_context(lock.locked(path))
        except FileNotFoundError as exc:
            raise LogVanishedError(f"Log no longer exists: {_shown(path)}") from exc
        if _current(path) != item.expected:
            raise WriteConflictError(f"Log changed since it was read: {_shown(path)}")
        item.backup = cleanup.temp_name(path, "flowbak")
        os.link(path, item.backup)  # keeps the old version for rollback at no copying cost
        # Marked before the swap: an interrupt between the two then rolls back a swap that did
        # not happen (putting the same old file back), never leaves a swap not rolled back.
        item.new_token = local_token(item.temp)  # a rename keeps size, mtime and inode
        item.committed = True
        os.replace(item.temp, path)


# ------------------------------------------------------------------------------------ copies


def _stage_copy(item: Staged, session: Session) -> None:
    """Build the copy in a hidden temp file in the destination directory.

    Raises:
        WriteConflictError: The destination appeared since the copy was planned (without
            ``overwrite``), or the source changed since it was read.
        LogVanishedError: The source no longer exists.
    """
    assert item.source is not None
    dest = _path(item.location)
    if not item.overwrite and os.path.lexists(dest):
        raise WriteConflictError(
            f"A log appeared at the destination since the copy was planned: {_shown(dest)}"
        )
    item.made_dirs = _makedirs(os.path.dirname(dest))
    item.temp = cleanup.temp_name(dest, "flowtmp")
    with _naming(dest, "the destination folder"):
        _fill_copy(item, session)


def _fill_copy(item: Staged, session: Session) -> None:
    assert item.source is not None
    dest = _path(item.location)
    if item.base:
        files.clone_or_copy(item.base, item.temp)
    elif item.staged_body is not None:  # an S3 edit of this batch, staged in memory
        with open(item.temp, "wb") as f:
            f.write(item.staged_body)
    elif locations.is_local(item.source):
        copy_local_source(item.source, item.source_token, item.temp)
    else:
        etag = item.source_token if isinstance(item.source_token, str) else None
        body = session.body(item.source, etag) if etag else None
        if body is None:
            body, _, _ = s3.run(s3.get_object(item.source, if_match=etag))
        with open(item.temp, "wb") as f:
            f.write(body)
    if item.log is not None:
        write_header_into(item.log, item.temp, fmt(dest))


def copy_local_source(location: str, token: Token | None, target: str) -> None:
    """Copy the local log ``location`` to the private file ``target``, if still at ``token``.

    Raises:
        LogVanishedError: The log no longer exists.
        WriteConflictError: The log changed since it was read, or while it was copied.
    """
    # a clone: O(1) on reflink filesystems
    _from_source(location, token, lambda source: files.clone_or_copy(source, target))


def read_local_source(location: str, token: Token | None) -> bytes:
    """Return the bytes of the local log ``location``, if still at ``token``.

    Raises:
        LogVanishedError: The log no longer exists.
        WriteConflictError: The log changed since it was read, or while it was read.
    """
    return _from_source(location, token, _read_bytes)


def _from_source(location: str, token: Token | None, action: Callable[[str], T]) -> T:
    source = _path(location)
    before = _current(source)
    if token is not None and before != token:
        raise WriteConflictError(f"Log changed since it was read: {_shown(source)}")
    result = action(source)
    _check_unchanged(source, before, "copied")
    return result


def _read_bytes(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _makedirs(directory: str) -> list[str]:
    """Create ``directory`` and its missing parents; return the ones created, outermost first."""
    missing: list[str] = []
    current = directory
    while current and not os.path.isdir(current):
        missing.append(current)
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    os.makedirs(directory, exist_ok=True)
    return list(reversed(missing))


def _commit_copy(item: Staged) -> None:
    """Put the copy in place: replace the destination (overwrite), else link it into place."""
    dest = _path(item.location)
    # Marked committed before the change, as for edits: rolling back one that did not happen is
    # harmless (the same old file put back; a destination that is not our temp file is left).
    if item.overwrite and os.path.lexists(dest):
        item.backup = cleanup.temp_name(dest, "flowbak")
        os.link(dest, item.backup)
        item.committed = True
        os.replace(item.temp, dest)  # the temp name is gone: rollback uses the backup
    else:
        item.committed = True
        try:
            os.link(item.temp, dest)  # fails if the destination appeared meanwhile: never clobber
        except FileExistsError as exc:
            item.committed = False
            raise WriteConflictError(
                f"A log appeared at the destination since the copy was planned: {_shown(dest)}"
            ) from exc
    item.new_token = local_token(dest)
