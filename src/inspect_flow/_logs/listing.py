"""Expand user PATHs (files, directories, S3 prefixes) into log locations.

The rules are inspect_ai's ``list_eval_logs`` rules: ``.eval`` files, and ``.json`` files whose name
starts with an ISO timestamp; newest first. Unlike Flow 0.14, a PATH that does not exist is an
error.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from inspect_flow._errors import FlowUsageError, PathNotFoundError
from inspect_flow._logs import locations as paths
from inspect_flow._logs.s3.client import s3_filesystem


def expand_paths(
    user_paths: Sequence[str], recursive: bool = True, base_dir: str | None = None
) -> list[str]:
    """Expand PATHs into log locations (URIs), in the order given, without duplicates.

    Args:
        user_paths: Log files or directories, local or ``s3://``.
        recursive: Whether directories are searched recursively.
        base_dir: Directory relative local paths are resolved against (default: the CWD).

    Returns:
        Log locations; within each directory, newest modification time first.

    Raises:
        PathNotFoundError: A PATH does not exist.
        FlowUsageError: A PATH names a file that is not an eval log.
    """
    seen: dict[str, None] = {}
    for user_path in user_paths:
        for location in _expand_one(user_path, recursive, base_dir):
            seen.setdefault(location, None)
    return list(seen)


def list_log_files(directory: str, recursive: bool = True) -> list[str]:
    """List the logs in a directory location; a missing directory yields ``[]``.

    Args:
        directory: A local path, ``file://`` URI or ``s3://`` prefix.
        recursive: Whether to search subdirectories.
    """
    location = paths.normalize(directory)
    if paths.is_local(location):
        root = paths.local_path(location)
        return _sorted(_walk_local(root, recursive)) if os.path.isdir(root) else []
    s3_filesystem().invalidate_cache()  # never answer from a stale s3fs listing cache
    return _sorted(_walk_s3(location, recursive))


def _expand_one(user_path: str, recursive: bool, base_dir: str | None) -> list[str]:
    location = paths.normalize(user_path, base_dir)
    if paths.is_local(location):
        local = paths.local_path(location)
        if os.path.isdir(local):
            return _sorted(_walk_local(local, recursive))
        if not os.path.exists(local):
            raise PathNotFoundError(f"Path not found: {user_path}")
        _require_log_name(user_path, paths.basename(location))
        return [location]
    fs = s3_filesystem()
    fs.invalidate_cache()  # s3fs caches listings: a long-lived process must see the bucket now
    key = location[len("s3://") :]
    try:
        if fs.isfile(key):
            _require_log_name(user_path, paths.basename(location))
            return [location]
        found = _walk_s3(location, recursive)
        if not found and not fs.isdir(key):
            raise PathNotFoundError(f"Path not found: {user_path}")
    except FileNotFoundError as exc:
        raise PathNotFoundError(f"Path not found: {user_path}") from exc
    return _sorted(found)


def _require_log_name(user_path: str, name: str) -> None:
    if not paths.is_log_name(name, explicit=True):
        raise FlowUsageError(f"Not an eval log file (expected .eval or .json): {user_path}")


def _walk_local(root: str, recursive: bool) -> list[tuple[str, float]]:
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
            entries = list(os.scandir(current))
        except OSError:  # unreadable, vanished, or a symlink cycle too deep to resolve
            continue
        for entry in entries:
            try:
                is_dir = entry.is_dir(follow_symlinks=True)
            except OSError:
                continue
            if is_dir:
                if recursive and not entry.name.startswith("."):
                    stack.append(entry.path)
            elif paths.is_log_name(entry.name):
                try:
                    mtime = entry.stat().st_mtime
                except OSError:
                    continue  # vanished while listing, or a dangling symlink
                found.append(("file://" + entry.path, mtime))
    return found


def _walk_s3(location: str, recursive: bool) -> list[tuple[str, float]]:
    fs = s3_filesystem()
    prefix = location[len("s3://") :].rstrip("/")
    if recursive:
        entries: dict[str, dict[str, Any]] = fs.find(prefix, detail=True)
        infos = list(entries.values())
    else:
        try:
            infos = [i for i in fs.ls(prefix, detail=True) if i.get("type") == "file"]
        except FileNotFoundError:
            infos = []
    found = []
    for info in infos:
        name = str(info["name"])
        if paths.is_log_name(paths.basename(name)):
            modified = info.get("LastModified")
            mtime = modified.timestamp() if modified is not None else 0.0
            found.append(("s3://" + name, mtime))
    return found


def _sorted(found: list[tuple[str, float]]) -> list[str]:
    # Newest first, as inspect_ai lists; the name breaks ties so the order is deterministic.
    return [loc for loc, _ in sorted(found, key=lambda item: (-item[1], item[0]))]


def existing_logs(candidates: Sequence[str]) -> set[str]:
    """Return the locations among ``candidates`` where a file or object exists now.

    Local paths are checked with one ``lstat`` each, S3 keys with concurrent (bounded) HEADs.
    """
    found = {loc for loc in candidates if paths.is_local(loc) and _lexists(loc)}
    remote = [loc for loc in candidates if paths.is_s3(loc)]
    if remote:
        from inspect_flow._logs.s3 import client

        heads = client.run_all(client.head_etag, remote)
        for location, etag in zip(remote, heads, strict=True):
            if isinstance(etag, BaseException):
                raise etag
            if etag is not None:
                found.add(location)
    return found


def _lexists(location: str) -> bool:
    return os.path.lexists(paths.local_path(location))
