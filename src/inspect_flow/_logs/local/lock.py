"""The advisory lock every flow process takes on a local log while it checks and replaces it.

A local commit is a compare-and-swap: "if the log is still the version I read, swap my new version
in". The check and the swap are two system calls, so two processes that read the same log could
both pass the check and both swap, and the first one's edit would be lost. Every flow process
therefore holds an exclusive ``flock`` on the log file itself across the check and the swap.

The lock is on the file (the inode), not the name: once a writer has swapped a new file in, a
process that was waiting on the old file finds that the name now points to another file, locks
that one instead, and its version check then reports the conflict. Nothing is created for the lock.

Not covered: processes that do not take the lock (inspect_ai writing a running eval's log, an
editor, ``cp``); and filesystems without working locks. ``flock`` on Linux NFS clients is
emulated with byte-range locks (it works across clients when the server's lock service does);
where the filesystem refuses locks (``ENOLCK``, ``EOPNOTSUPP``) the commit goes on with the
version check alone, as it did without the lock.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from contextlib import contextmanager

_NO_LOCKS = {errno.ENOLCK, errno.EOPNOTSUPP, errno.EBADF, errno.EINVAL}


@contextmanager
def locked(path: str) -> Iterator[None]:
    """Hold the exclusive flow lock of the file ``path`` names (waiting for other flow processes).

    Raises:
        FileNotFoundError: Nothing exists at ``path``.
    """
    import fcntl

    while True:
        fd = _open(path)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            held = os.fstat(fd)
            now = os.stat(path)
        except OSError as exc:
            os.close(fd)
            if exc.errno not in _NO_LOCKS:
                raise
            fd = -1  # no locks on this filesystem: the version check alone
            break
        except BaseException:
            os.close(fd)
            raise
        if (held.st_dev, held.st_ino) == (now.st_dev, now.st_ino):
            break
        os.close(fd)  # replaced while we waited: lock the file the name points to now
    try:
        yield
    finally:
        if fd >= 0:
            os.close(fd)  # releases the lock


def _open(path: str) -> int:
    # Read-write where allowed (an NFS client's emulated flock needs it for an exclusive lock);
    # a read-only log (its directory is writable, so it can still be replaced) is opened read-only.
    flags = os.O_CLOEXEC
    try:
        return os.open(path, os.O_RDWR | flags)
    except (PermissionError, IsADirectoryError):
        return os.open(path, os.O_RDONLY | flags)
