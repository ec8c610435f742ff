"""Removing a whole directory tree (local or S3): what ``flow store delete`` needs."""

from __future__ import annotations

import os
import shutil

from inspect_flow._logs import locations as paths
from inspect_flow._logs.s3.client import s3_filesystem


def remove_tree(location: str) -> bool:
    """Delete a directory and everything under it (local path, ``file://`` URI or ``s3://``).

    Returns:
        False when there was nothing there, True when something was deleted.
    """
    where = paths.normalize(location)
    if paths.is_local(where):
        local = paths.local_path(where)
        if not os.path.lexists(local):
            return False
        if os.path.isdir(local) and not os.path.islink(local):
            shutil.rmtree(local)
        else:
            os.remove(local)
        return True
    fs = s3_filesystem()
    fs.invalidate_cache()
    key = where[len("s3://") :]
    found = fs.find(key)
    if not found:
        return False
    fs.rm(found)
    fs.invalidate_cache()
    return True
