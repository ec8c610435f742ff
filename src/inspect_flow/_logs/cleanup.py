"""What an interrupted run leaves behind, and how the next run cleans it up.

A run killed (SIGKILL, power loss, OOM) cannot clean up after itself. The logs stay whole (every
write is staged and swapped in atomically), but:

* locally, hidden files beside the logs: ``.flowtmp`` (an unfinished new version, or copy) and
  ``.flowbak`` (a hard link to a log's previous version, made just before it was replaced);
* on S3, a multipart upload that was created and neither completed nor aborted: its parts are
  stored (and billed) until someone aborts it, and no listing of objects shows it.

Local temp names say who made them: ``.NAME.HOST-PID-RANDOM.flowtmp`` (or ``.flowbak``), where
HOST is a short hash of this machine's hostname and PID namespace. When a run stages into a
directory it removes the leftovers there whose owner is gone: made here by a process that no longer
exists, or (made elsewhere, in the older ``.NAME.RANDOM12.flowtmp`` form, or by a live PID that may
be a reused one) untouched for :data:`LEFTOVER_AGE_SECONDS`. Only files with names of exactly these
forms are ever removed, and an abandoned ``.flowbak`` only when it is still its log's current
version; one holding a previous version (its run was killed mid-commit) is reported and kept.
Before a large S3 header edit, the incomplete uploads of that key older than
:data:`STALE_UPLOAD_SECONDS` are aborted. What was removed, aborted or kept is collected in a
:class:`CleanupReport` (the run's session holds one); nothing here prints.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import socket
import stat
import sys
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from inspect_flow._logs import locations
from inspect_flow._logs.s3 import parts

# A header edit or copy holds its temp file for seconds; a day leaves a wide margin for slow disks
# and network filesystems before a file whose owner we cannot check is taken for abandoned.
LEFTOVER_AGE_SECONDS = 24 * 3600
# A header edit's multipart upload lives for seconds (create, copy the parts, complete): one that
# is an hour old belongs to a run that died. Real S3 reports when an upload was initiated; moto
# reports 2010-11-10 for every upload.
STALE_UPLOAD_SECONDS = 3600

Kind = Literal["flowtmp", "flowbak"]
_OURS = re.compile(
    r"^\.(?P<name>.+\.(?:eval|json))\.(?P<host>[0-9a-f]{8})-(?P<pid>[0-9]{1,10})-[0-9a-f]{8}"
    r"\.flow(?:tmp|bak)$"
)
# Our names before they carried their owner: removed only by age.
_OURS_UNOWNED = re.compile(r"^\..+\.(?:eval|json)\.[0-9a-f]{12}\.flow(?:tmp|bak)$")

Level = Literal["info", "warn"]


@dataclass
class CleanupReport:
    """What the sweeps of one run removed, aborted or kept (collected until :meth:`take`).

    Attributes:
        removed: Directory -> leftover temp files removed there.
        aborted: S3 location -> leftover multipart uploads aborted.
        backups: Directory -> abandoned ``.flowbak`` names kept there (previous versions).
        warnings: Other housekeeping problems (an upload that could not be aborted).
    """

    removed: dict[str, int] = field(default_factory=dict)
    aborted: dict[str, int] = field(default_factory=dict)
    backups: dict[str, list[str]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    _told: set[str] = field(default_factory=set, repr=False, compare=False)
    _swept: set[str] = field(default_factory=set, repr=False, compare=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def note(self, warning: str) -> None:
        """Record a housekeeping warning."""
        with self._lock:
            self.warnings.append(warning)

    def take(self) -> list[tuple[Level, str]]:
        """Return one message per kind of what was collected since the last call, and forget it."""
        with self._lock:
            removed, aborted, backups = dict(self.removed), dict(self.aborted), dict(self.backups)
            warnings = list(self.warnings)
            self.removed.clear()
            self.aborted.clear()
            self.backups.clear()
            self.warnings.clear()
        messages: list[tuple[Level, str]] = [("warn", text) for text in warnings]
        for directory, names in backups.items():
            if directory in self._told:
                continue  # said once per run (the listing and a sweep may both find them)
            self._told.add(directory)
            count = len(names)
            messages.append(
                (
                    "warn",
                    f"{count} previous version{'s' if count != 1 else ''} of logs left by "
                    f"interrupted runs in {locations.display_path(directory)} (.NAME.….flowbak, "
                    "kept: restore one with mv, or delete them)",
                )
            )
        if removed:
            messages.append(
                ("info", f"Removed {_count(removed, 'leftover temp file')} in {_where(removed)}")
            )
        if aborted:
            messages.append(
                (
                    "info",
                    f"Aborted {_count(aborted, 'leftover multipart upload')} of "
                    f"{_where(aborted, 'logs')}",
                )
            )
        return messages


@functools.cache
def _host() -> str:
    """Eight hex digits naming this machine and PID namespace.

    Containers can share a hostname and a directory while each has its own PIDs, so "same host"
    must mean "PIDs here are comparable": the PID namespace is part of the name.
    """
    parts = [socket.gethostname()]
    try:
        parts.append(os.readlink("/proc/self/ns/pid"))
    except OSError:  # not Linux: the hostname alone
        pass
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:8]


def temp_name(path: str, kind: Kind) -> str:
    """Return a fresh hidden name beside ``path`` for a staged file of this process.

    A leading dot and a non-log suffix: listings never pick these files up
    (``locations.is_log_name``).

    Args:
        path: The log (or copy destination) the file stands in for.
        kind: ``flowtmp`` (a new version being built) or ``flowbak`` (the old version, kept for
            rollback).
    """
    directory, name = os.path.split(path)
    owner = f"{_host()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    return os.path.join(directory, f".{name}.{owner}.{kind}")


def sweep_local(directories: Iterable[str], report: CleanupReport) -> None:
    """Remove the leftovers of interrupted runs in ``directories``, recording them in ``report``.

    Each directory is swept once per run (``report`` is the run's): a run in batches commits
    into the same folder once per batch, and a folder of 100 000 logs takes a scan of 100 000
    entries. Never raises: a file that cannot be examined or removed is left where it is.
    """
    now = time.time()
    for directory in sorted(set(directories) - report._swept):
        try:
            with os.scandir(directory) as found:  # one entry at a time: only dot-files are kept
                abandoned = [e for e in found if e.name.startswith(".") and _abandoned(e, now)]
        except OSError:  # missing or unreadable: staging there reports the real problem
            continue
        with report._lock:
            report._swept.add(directory)
        # A .flowbak of a dead run may be the only copy of a log's previous version (its run was
        # killed mid-commit, after the swap): it is reported and kept, the user decides. One that
        # is still the log itself (killed between the link and the swap) holds nothing else.
        redundant = [e for e in abandoned if e.name.endswith(".flowbak") and _is_its_log(e)]
        backups = [e.name for e in abandoned if e.name.endswith(".flowbak") and e not in redundant]
        removable = [e for e in abandoned if e.name.endswith(".flowtmp")] + redundant
        removed = sum(1 for e in removable if _unlink(e.path))
        with report._lock:
            if removed:
                report.removed[directory] = report.removed.get(directory, 0) + removed
            if backups:
                report.backups[directory] = sorted(backups)


def report_backups(entries: Iterable[os.DirEntry[str]], report: CleanupReport) -> None:
    """Report (never remove) the previous versions of logs that killed runs left.

    ``entries`` are the ``.flowbak`` files a listing of log folders saw anyway, so that every run
    over such a folder says they are there, not only a run that writes into it. Those a live
    process may still be using, and those that are their log itself, are not reported.
    """
    now = time.time()
    found: dict[str, list[str]] = {}
    for entry in entries:
        if _abandoned(entry, now) and not _is_its_log(entry):
            found.setdefault(os.path.dirname(entry.path), []).append(entry.name)
    with report._lock:
        for directory, names in found.items():
            report.backups[directory] = sorted(names)


def _abandoned(entry: os.DirEntry[str], now: float) -> bool:
    owned = _OURS.match(entry.name)
    if owned is None and _OURS_UNOWNED.match(entry.name) is None:
        return False  # not unmistakably ours
    try:
        st = entry.stat(follow_symlinks=False)
    except OSError:
        return False
    if not stat.S_ISREG(st.st_mode):
        return False  # we only ever make regular files
    # ctime moves whenever the file is written, linked or renamed; a .flowbak's mtime is the old
    # log's, which may be months old, so the later of the two is when it was last touched.
    if now - max(st.st_mtime, st.st_ctime) >= LEFTOVER_AGE_SECONDS:
        return True
    return owned is not None and owned["host"] == _host() and not _alive(int(owned["pid"]))


def _is_its_log(entry: os.DirEntry[str]) -> bool:
    """Whether a ``.flowbak`` is the very file its log is (a hard link to the current version)."""
    name = entry.name[1:].rsplit(".", 2)[0]  # .NAME.OWNER.flowbak (both forms) -> NAME
    try:
        return os.path.samefile(entry.path, os.path.join(os.path.dirname(entry.path), name))
    except OSError:
        return False


def _alive(pid: int) -> bool:
    """Return False only when no process ``pid`` exists here (unknown counts as alive)."""
    if pid <= 0 or sys.platform == "win32":  # os.kill(0, ...) is our group; on Windows it kills
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (OSError, OverflowError):  # EPERM: another user's live process
        return True
    return True


def _unlink(path: str) -> bool:
    try:
        os.unlink(path)
    except OSError:
        return False
    return True


async def abort_stale_uploads(location: str, report: CleanupReport) -> None:
    """Abort the incomplete multipart uploads of ``location`` that outlived any live edit.

    One ``ListMultipartUploads`` request; an abort per stale upload found (normally none). Never
    raises: this is housekeeping, and the edit does not depend on it (the listing permission,
    ``s3:ListBucketMultipartUploads``, may not even be granted).
    """
    try:
        stale = await parts.stale_uploads(location, STALE_UPLOAD_SECONDS)
    except Exception:
        return
    aborted = 0
    for upload in stale:
        aborted += await parts.abort(upload, report)
    if aborted:
        with report._lock:
            report.aborted[location] = report.aborted.get(location, 0) + aborted


def _count(found: dict[str, int], noun: str) -> str:
    total = sum(found.values())
    if total == 1:
        return f"1 {noun} of an interrupted run"
    return f"{total} {noun}s of interrupted runs"


def _where(found: dict[str, int], plural: str = "directories") -> str:
    if len(found) == 1:
        return locations.display_path(next(iter(found)))
    return f"{len(found)} {plural}"
