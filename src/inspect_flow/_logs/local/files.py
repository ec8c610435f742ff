"""Local file primitives for staging logs.

A file's version token, a copy that is a reflink clone where the filesystem allows it, and a new
file written and fsynced in one go.
"""

from __future__ import annotations

import os
import shutil
import sys
from typing import BinaryIO

# ioctl(FICLONE) (linux/fs.h: _IOW(0x94, 9, int)): share the source's extents instead of copying
# them (XFS, btrfs, bcachefs, OCFS2...). Elsewhere it fails at once (EOPNOTSUPP on ext4/tmpfs, EXDEV
# across filesystems) and we copy.
_FICLONE = 0x40049409 if sys.platform.startswith("linux") else None
_SENDFILE_CHUNK = 1 << 30


def local_token(path: str) -> tuple[int, int, int]:
    """Return the version token of a local file (raises FileNotFoundError when it is gone)."""
    st = os.stat(path)
    return (st.st_size, st.st_mtime_ns, st.st_ino)


def clone_or_copy(source: str, dest: str) -> None:
    """Copy ``source`` to ``dest`` (created or truncated), as a reflink clone when possible.

    ``dest`` gets the permission bits of ``source`` (as ``cp`` does) and is never more readable
    than it: a file it creates is private (0600) until its mode is set, before any byte is copied.
    A clone costs O(1) and no space; a failed attempt costs one ioctl, because the copy then runs
    on the file descriptors already open for the attempt.
    """
    with open(source, "rb") as fsrc:
        fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with open(fd, "wb") as fdst:
            os.fchmod(fd, os.fstat(fsrc.fileno()).st_mode & 0o7777)
            if _clone(fsrc, fdst):
                return
            _copy_open(fsrc, fdst)


def _clone(fsrc: BinaryIO, fdst: BinaryIO) -> bool:
    if _FICLONE is None:
        return False
    import fcntl

    try:
        fcntl.ioctl(fdst.fileno(), _FICLONE, fsrc.fileno())
    except OSError:
        # Not supported here (or any other failure): the plain copy below reports real I/O errors.
        return False
    return True


def _copy_open(fsrc: BinaryIO, fdst: BinaryIO) -> None:
    """Copy an open file into an open empty file: in-kernel ``sendfile`` where it works."""
    offset = 0
    try:
        while True:
            sent = os.sendfile(fdst.fileno(), fsrc.fileno(), offset, _SENDFILE_CHUNK)
            if sent == 0:
                return
            offset += sent
    except (AttributeError, OSError):
        if offset:  # a real I/O error part-way through, not "sendfile cannot do files here"
            raise
    shutil.copyfileobj(fsrc, fdst)


def write_new_file(path: str, data: bytes, mode_from: str) -> None:
    """Create ``path`` (it must not exist) with ``data`` and the permission bits of ``mode_from``.

    The file is fsynced before this returns (it is about to replace a log).
    """
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, os.stat(mode_from).st_mode & 0o7777)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
