"""Expand user PATHs (files, directories, S3 prefixes) into log locations.

The rules are inspect_ai's ``list_eval_logs`` rules: ``.eval`` files, and ``.json`` files whose name
starts with an ISO timestamp; newest first. Unlike Flow 0.14, a PATH that does not exist is an
error, a PATH that cannot be read is a permission error, and a subfolder that cannot be listed is
reported (in ``errors``, or as an error when the caller passes none), never skipped silently.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator, Sequence
from typing import Any

from inspect_flow._errors import FlowError, FlowUsageError, PathNotFoundError, PathUnreadableError
from inspect_flow._logs import locations as paths
from inspect_flow._logs.s3.client import s3_filesystem, waiting


def expand_paths(
    user_paths: Sequence[str],
    recursive: bool = True,
    base_dir: str | None = None,
    errors: dict[str, str] | None = None,
    backups: list[os.DirEntry[str]] | None = None,
) -> list[str]:
    """Expand PATHs into log locations (URIs), in the order given, without duplicates.

    Args:
        user_paths: Log files or directories, local or ``s3://``.
        recursive: Whether directories are searched recursively.
        base_dir: Directory relative local paths are resolved against (default: the CWD).
        errors: Receives each subfolder that could not be listed (location → reason); None:
            such a folder is an error.
        backups: Receives the ``.flowbak`` files seen in the local folders listed
            (``cleanup.report_backups`` says which are previous versions kept by killed runs).

    Returns:
        Log locations; within each directory, newest modification time first.

    Raises:
        PathNotFoundError: A PATH does not exist.
        PathUnreadableError: A PATH cannot be read (permissions).
        FlowUsageError: A PATH names a file that is not an eval log, or is a bare ``s3://``.
        FlowError: A subfolder cannot be listed and ``errors`` is None.
    """
    seen: dict[str, None] = {}
    found_errors: dict[str, str] = {}
    for user_path in user_paths:
        for location in _expand_one(user_path, recursive, base_dir, found_errors, backups):
            seen.setdefault(location, None)
    _report(found_errors, errors)
    return list(seen)


def list_log_files(
    directory: str, recursive: bool = True, errors: dict[str, str] | None = None
) -> list[str]:
    """List the logs in a directory location; a missing directory yields ``[]``.

    Args:
        directory: A local path, ``file://`` URI or ``s3://`` prefix.
        recursive: Whether to search subdirectories.
        errors: As for ``expand_paths`` (the directory itself included).

    Raises:
        FlowUsageError: ``directory`` is a bare ``s3://``.
        FlowError: A folder cannot be listed and ``errors`` is None.
    """
    location = paths.normalize(directory)
    found_errors: dict[str, str] = {}
    if paths.is_local(location):
        root = paths.local_path(location)
        found = _walk_local(root, recursive, found_errors) if os.path.isdir(root) else []
    else:
        _require_bucket(directory, location)
        s3_filesystem().invalidate_cache()  # never answer from a stale s3fs listing cache
        with waiting():
            found = _walk_s3(location, recursive)
    _report(found_errors, errors)
    return _sorted(found)


def _report(found: dict[str, str], errors: dict[str, str] | None) -> None:
    if errors is not None:
        errors.update(found)
    elif found:
        where, reason = next(iter(found.items()))
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        raise FlowError(f"Cannot list folder {paths.display_path(where)}: {reason}{more}")


def _expand_one(
    user_path: str,
    recursive: bool,
    base_dir: str | None,
    errors: dict[str, str],
    backups: list[os.DirEntry[str]] | None = None,
) -> list[str]:
    location = paths.normalize(user_path, base_dir)
    if paths.is_local(location):
        local = paths.local_path(location)
        if os.path.isdir(local):
            if not os.access(local, os.R_OK | os.X_OK):
                raise PathUnreadableError(f"Permission denied: {user_path}")
            return _sorted(_walk_local(local, recursive, errors, backups))
        if not os.path.exists(local):
            raise PathNotFoundError(f"Path not found: {user_path}")
        _require_log_name(user_path, paths.basename(location))
        return [location]
    _require_bucket(user_path, location)
    fs = s3_filesystem()
    fs.invalidate_cache()  # s3fs caches listings: a long-lived process must see the bucket now
    key = location[len("s3://") :]
    try:
        with waiting():  # a frozen endpoint: say so after a few seconds
            kind = _s3_kind(fs, key)
            if kind == "file":
                _require_log_name(user_path, paths.basename(location))
                return [location]
            found = _walk_s3(location, recursive)
        if not found and kind != "directory":
            raise PathNotFoundError(f"Path not found: {user_path}")
    except FileNotFoundError as exc:
        raise PathNotFoundError(f"Path not found: {user_path}") from exc
    return _sorted(found)


def _s3_kind(fs: Any, key: str) -> str | None:
    """Return ``file``, ``directory`` or None (nothing there).

    Unlike ``fs.isfile``, which answers False to any error, a failure to ask (a timeout, access
    denied) is raised at once instead of costing a second round of requests.
    """
    try:
        return str(fs.info(key).get("type"))
    except FileNotFoundError:
        return None


def _require_bucket(user_path: str, location: str) -> None:
    """Refuse an S3 PATH without a bucket: all of S3 is never walked."""
    if paths.is_s3(location) and not location[len("s3://") :].strip("/"):
        raise FlowUsageError(f"Invalid PATH {user_path!r}: name a bucket (s3://BUCKET[/PREFIX])")


def _require_log_name(user_path: str, name: str) -> None:
    if not paths.is_log_name(name, explicit=True):
        raise FlowUsageError(f"Not an eval log file (expected .eval or .json): {user_path}")


def _walk_local(
    root: str,
    recursive: bool,
    errors: dict[str, str],
    backups: list[os.DirEntry[str]] | None = None,
) -> list[tuple[str, float]]:
    found: list[tuple[str, float]] = []
    stack = [root]
    visited: set[tuple[int, int]] = set()  # real directories seen: a symlink loop is walked once
    while stack:
        current = stack.pop()
        try:
            st = os.stat(current)
            if (st.st_dev, st.st_ino) in visited:
                continue
            visited.add((st.st_dev, st.st_ino))
            # One entry at a time: a DirEntry holds its name, path and cached stat (about 1 KiB),
            # so a list of a folder of 100 000 logs would hold 100 MB while it is walked.
            with os.scandir(current) as scan:
                logs, dirs, kept = _scan(scan, recursive, backups is not None)
        except OSError as exc:
            if exc.errno not in _GONE:  # unreadable: reported, never skipped silently
                errors["file://" + current] = f"cannot list folder: {exc.strerror or exc}"
            continue
        found += logs
        stack += dirs
        if backups is not None:
            backups += kept
    return found


def _scan(
    scan: Iterator[os.DirEntry[str]], recursive: bool, backups: bool
) -> tuple[list[tuple[str, float]], list[str], list[os.DirEntry[str]]]:
    """Return one folder's logs (URI, mtime), subfolders to walk and ``.flowbak`` entries."""
    logs: list[tuple[str, float]] = []
    dirs: list[str] = []
    kept: list[os.DirEntry[str]] = []
    for entry in scan:
        try:
            is_dir = entry.is_dir(follow_symlinks=True)
        except OSError:
            continue
        if is_dir:
            if recursive and not entry.name.startswith("."):
                dirs.append(entry.path)
        elif paths.is_log_name(entry.name):
            try:
                mtime = entry.stat().st_mtime
            except OSError:
                continue  # vanished while listing, or a dangling symlink
            logs.append(("file://" + entry.path, mtime))
        elif backups and entry.name.endswith(".flowbak"):
            kept.append(entry)
    return logs, dirs, kept


# Folders that vanished while listing, or symlink cycles too deep to resolve: nothing to report.
_GONE = (errno.ENOENT, errno.ENOTDIR, errno.ELOOP)


def _walk_s3(location: str, recursive: bool) -> list[tuple[str, float]]:
    fs = s3_filesystem()
    prefix = location[len("s3://") :].rstrip("/")
    try:
        if recursive:
            entries: dict[str, dict[str, Any]] = fs.find(prefix, detail=True)
            infos = list(entries.values())
        else:
            try:
                infos = [i for i in fs.ls(prefix, detail=True) if i.get("type") == "file"]
            except FileNotFoundError:
                infos = []
    finally:
        _forget_listing(fs, prefix)
    found = []
    for info in infos:
        name = str(info["name"])
        if paths.is_log_name(paths.basename(name)):
            modified = info.get("LastModified")
            mtime = modified.timestamp() if modified is not None else 0.0
            found.append(("s3://" + name, mtime))
    return found


def _forget_listing(fs: Any, prefix: str) -> None:
    """Drop s3fs's cached listings of ``prefix``, its subfolders and its parents.

    s3fs keeps every listing (a dict per object) for the life of the process: a prefix of
    100 000 logs would hold them all through the run. Flow never reuses a listing anyway.
    """
    fs.invalidate_cache(prefix)  # the prefix and its parents
    for key in [key for key in fs.dircache if str(key).startswith(prefix + "/")]:
        fs.dircache.pop(key, None)


def _sorted(found: list[tuple[str, float]]) -> list[str]:
    # Newest first, as inspect_ai lists; the name breaks ties so the order is deterministic.
    return [loc for loc, _ in sorted(found, key=lambda item: (-item[1], item[0]))]


def existing_logs(candidates: Sequence[str]) -> set[str]:
    """Return the locations among ``candidates`` where a file or object exists now.

    Local paths are checked with one ``lstat`` each, S3 keys by listing their folders (one
    request per 1000 keys, not a HEAD per key; see ``s3.client.list_etags``).
    """
    found = {loc for loc in candidates if paths.is_local(loc) and _lexists(loc)}
    remote = [loc for loc in candidates if paths.is_s3(loc)]
    if remote:
        from inspect_flow._logs.s3 import client

        etags = client.run(client.list_etags(remote))
        found.update(location for location, etag in etags.items() if etag is not None)
    return found


def _lexists(location: str) -> bool:
    return os.path.lexists(paths.local_path(location))
