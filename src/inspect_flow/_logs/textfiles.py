"""Small text files next to logs (``flow.yaml``, a run's handle file) and run folders.

Local writes go to a temp file in the same directory that is then renamed into place, so a reader
never sees half a file; S3 objects appear only once their upload completes.
"""

from __future__ import annotations

import os
import tempfile

from inspect_flow._logs import locations as paths
from inspect_flow._logs.s3.client import s3_filesystem


def write_text(location: str, text: str) -> None:
    """Write ``text`` (UTF-8) to ``location``, replacing any previous file; folders are created.

    Args:
        location: A local path, ``file://`` URI or ``s3://`` URL.
        text: The content.

    """
    data = text.encode("utf-8")
    if not paths.is_local(location):
        s3_filesystem().pipe_file(_s3_path(location), data)
        return
    path = paths.local_path(location)
    directory = os.path.dirname(path) or "."
    os.makedirs(directory, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=".flow-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise


def read_text(location: str) -> str | None:
    """Return the UTF-8 text at ``location``, or None when there is no such file."""
    try:
        if not paths.is_local(location):
            data: bytes = s3_filesystem().cat_file(_s3_path(location))
            return data.decode("utf-8")
        with open(paths.local_path(location), encoding="utf-8") as f:
            return f.read()
    except FileNotFoundError:
        return None


def create_folder(location: str) -> bool:
    """Create a new folder (and its parents); False when it already exists.

    On S3 there are no folders: nothing is created and the answer is True.
    """
    if not paths.is_local(location):
        return True
    path = paths.local_path(location)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    try:
        os.mkdir(path)
    except FileExistsError:
        return False
    return True


def list_dirs(location: str) -> list[str]:
    """Return the names of the folders directly inside ``location`` (sorted; none if missing)."""
    if paths.is_local(location):
        try:
            with os.scandir(paths.local_path(location)) as entries:
                return sorted(e.name for e in entries if e.is_dir() and not e.name.startswith("."))
        except (FileNotFoundError, NotADirectoryError):
            return []
    fs = s3_filesystem()
    try:
        found = fs.ls(_s3_path(location), detail=True, refresh=True)
    except FileNotFoundError:
        return []
    folders = (str(e["name"]).rstrip("/") for e in found if e["type"] == "directory")
    names = (name.rsplit("/", 1)[-1] for name in folders)
    return sorted(n for n in names if not n.startswith("."))


def _s3_path(location: str) -> str:
    return location[len("s3://") :]
