"""Log locations: normalise once at the edge, display friendly paths, check copy plans.

A location is a string URI: ``file:///abs/path.eval`` for local files (absolute, ``..`` resolved,
symlinks kept as typed) or an fsspec URL such as ``s3://bucket/key.eval``. Directories never keep a
trailing slash.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence

_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")
LOG_SUFFIXES = (".eval", ".json")
# inspect_ai lists .json logs only when their name starts with an ISO timestamp.
_TIMESTAMPED = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}[-:]\d{2}[-:]\d{2}")


def has_scheme(path: str) -> bool:
    """Return True when ``path`` is a URL (``s3://…``, ``file://…``)."""
    return bool(_SCHEME.match(path))


def is_local(location: str) -> bool:
    """Return True for local paths and ``file://`` URIs."""
    return not has_scheme(location) or location.startswith("file://")


def is_s3(location: str) -> bool:
    """Return True for ``s3://`` URLs."""
    return location.startswith("s3://")


def normalize(path: str, base_dir: str | None = None) -> str:
    """Normalise a user path to a location URI.

    Args:
        path: A local path (relative to ``base_dir`` or the CWD), a ``file://`` URI or a URL.
        base_dir: Directory that relative local paths are relative to (default: the CWD).

    Returns:
        ``file:///abs/path`` for local paths; URLs with duplicate and trailing slashes removed.
    """
    if is_local(path):
        local = path[len("file://") :] if path.startswith("file://") else path
        local = os.path.expanduser(local)
        if not os.path.isabs(local):
            local = os.path.join(base_dir or os.getcwd(), local)
        return "file://" + os.path.normpath(local)
    scheme, rest = path.split("://", 1)
    rest = re.sub(r"/{2,}", "/", rest).rstrip("/")
    return f"{scheme}://{rest}"


def local_path(location: str) -> str:
    """Return the filesystem path of a local location (``file://`` stripped)."""
    return location[len("file://") :] if location.startswith("file://") else location


def display_path(location: str, cwd: str | None = None) -> str:
    """Return the friendly form of a location: no ``file://``, relative when under the CWD."""
    if not is_local(location):
        return location
    path = local_path(location)
    cwd = cwd if cwd is not None else os.getcwd()
    if cwd != "/" and path.startswith(cwd.rstrip("/") + "/"):
        return path[len(cwd.rstrip("/")) + 1 :]
    return path


def basename(location: str) -> str:
    """Return the last path component of a location."""
    return location.rstrip("/").rsplit("/", 1)[-1]


def dirname(location: str) -> str:
    """Return the location of the directory holding ``location``."""
    return location.rstrip("/").rsplit("/", 1)[0]


def join(directory: str, *parts: str) -> str:
    """Join a directory location and relative parts with ``/`` (empty parts dropped)."""
    pieces = [directory.rstrip("/")] + [p.strip("/") for p in parts if p.strip("/")]
    return "/".join(pieces)


def is_log_name(name: str, explicit: bool = False) -> bool:
    """Return True when a file name is an eval log name.

    Args:
        name: The file name (no directory).
        explicit: True when the user named the file directly; then any ``.json`` counts, as with
            inspect_ai, which reads whatever log file it is given.
    """
    if name.startswith("."):
        return False  # our temp/backup files and other hidden files are never logs
    if name.endswith(".eval"):
        return True
    return name.endswith(".json") and (explicit or bool(_TIMESTAMPED.match(name)))


def inside(directory: str, location: str) -> bool:
    """Return True when ``location`` lies inside ``directory`` (both normalised locations).

    Lexical, for local paths and URLs alike: ``location`` must be ``directory/`` followed by
    segments none of which is empty, ``.`` or ``..`` (an S3 key may hold ``../`` segments that a
    local path never keeps after normalisation).
    """
    base = directory.rstrip("/") + "/"
    if not location.startswith(base):
        return False
    return all(part not in ("", ".", "..") for part in location[len(base) :].split("/"))


def check_copy_plan(pairs: Sequence[tuple[str, str]]) -> None:
    """Refuse plans that would copy a log onto itself or two logs onto one destination.

    Raises:
        FlowUsageError: The plan does one of those.
    """
    from inspect_flow._errors import FlowUsageError

    seen: dict[str, str] = {}
    for source, dest in pairs:
        if source == dest or _same_local_file(source, dest):
            raise FlowUsageError(f"Refusing to copy a log onto itself: {display_path(dest)}")
        if dest in seen:
            raise FlowUsageError(
                f"Two logs would be copied to {display_path(dest)}: "
                f"{display_path(seen[dest])} and {display_path(source)}"
            )
        seen[dest] = source


def _same_local_file(source: str, dest: str) -> bool:
    if not (is_local(source) and is_local(dest)):
        return False
    try:
        return os.path.samefile(local_path(source), local_path(dest))
    except OSError:
        return False
