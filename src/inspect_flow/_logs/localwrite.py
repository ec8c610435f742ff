"""Local header writes: stage a hidden new file beside the log, swap it in with ``os.replace``.

A reader, or a crash at any instant, sees the whole old file or the whole new one (DESIGN §3 item
1). The old version is kept as a hard link until the batch is over, so a failed batch can put it
back without copying. The hidden names come from ``leftovers``, which removes those of killed runs.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable

from inspect_flow._errors import LogVanishedError, WriteConflictError
from inspect_flow._logs import headers, leftovers, localfiles, paths
from inspect_flow._logs.staged import Staged, fmt, write_header_into
from inspect_flow._logs.state import Token, local_token


def stage(item: Staged) -> None:
    """Build the log's new version in a hidden temp file beside it, if it is still as read.

    Raises:
        LogVanishedError: The log no longer exists.
        WriteConflictError: The log changed since it was read, or while it was staged.
    """
    path = paths.local_path(item.log.location)
    before = _current(path)
    if item.expected is not None and before != item.expected:
        raise WriteConflictError(f"Log changed since it was read: {paths.display_path(path)}")
    item.expected = before
    item.temp = leftovers.temp_name(path, "flowtmp")
    if fmt(path) == "json" and _stage_json(item, path, before):
        return
    localfiles.clone_or_copy(path, item.temp)  # O(1) on reflink filesystems
    shutil.copymode(path, item.temp)
    _check_unchanged(path, before)
    write_header_into(item.log, item.temp, fmt(path))


def _current(path: str) -> Token:
    try:
        return local_token(path)
    except FileNotFoundError as exc:
        raise LogVanishedError(f"Log no longer exists: {paths.display_path(path)}") from exc


def _stage_json(item: Staged, path: str, before: Token) -> bool:
    """Write the new ``.json`` log straight into the temp file (no pre-copy, one fsync).

    Returns:
        False when inspect_ai's serialiser is unavailable (nothing written).
    """
    with open(path, "rb") as f:
        original = f.read()
    _check_unchanged(path, before)  # what we read is the version the step saw
    document = headers.json_with_new_header(original, item.log)
    if document is None:
        return False
    localfiles.write_new_file(item.temp, document, mode_from=path)
    return True


def _check_unchanged(path: str, before: Token) -> None:
    if local_token(path) != before:
        raise WriteConflictError(f"Log changed while it was staged: {paths.display_path(path)}")


def commit(item: Staged) -> None:
    """Swap the staged file in, if the log is still the version staged from.

    Raises:
        LogVanishedError: The log no longer exists.
        WriteConflictError: The log changed since it was staged.
    """
    path = paths.local_path(item.log.location)
    if _current(path) != item.expected:
        raise WriteConflictError(f"Log changed since it was read: {paths.display_path(path)}")
    item.backup = leftovers.temp_name(path, "flowbak")
    os.link(path, item.backup)  # keeps the old version for rollback at no copying cost
    os.replace(item.temp, path)
    item.committed = True
    item.new_token = local_token(path)


def rollback(item: Staged) -> None:
    """Put the old version back after a committed write."""
    os.replace(item.backup, paths.local_path(item.log.location))
    item.backup = ""


def sync_dirs(locations: Iterable[str]) -> None:
    """Make the renames in the directories of ``locations`` durable (fsync each directory once)."""
    for directory in {os.path.dirname(paths.local_path(loc)) for loc in locations}:
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


def discard(item: Staged) -> None:
    """Remove the temp file and backup link the write leaves (both unused once the batch ends)."""
    for leftover in (item.temp, item.backup):
        if leftover:
            try:
                os.unlink(leftover)
            except FileNotFoundError:
                pass
