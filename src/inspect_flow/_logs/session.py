"""Per-run state: what one run knows about the logs it read and wrote.

A :class:`Session` belongs to one run: the outermost step context, or one ``check``/``list``
call (``read_headers`` without a session makes a short-lived one). It holds

* each log's version token and header fingerprint as read or last written: the token makes every
  write conditional (a log changed by someone else since our read is a conflict); the fingerprint
  makes no-op edits write nothing. After our own write the state is refreshed, so a flush
  followed by another edit of the same log never conflicts with itself;
* the S3 bodies fetched by header reads (on local disk, so a following header write needs no
  second download) and the zip ends of large ``.eval`` objects (where their central directory
  starts, for a multipart header edit);
* what the run's sweeps of leftovers removed or kept (:class:`~.cleanup.CleanupReport`).

Nothing outlives the session: :meth:`Session.close` drops the bodies, and another run in the same
process (another thread, another context) has its own session, so it cannot refresh *our* token
behind our back and turn its write into our lost update.
"""

from __future__ import annotations

import copy
import hashlib
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any

from inspect_flow._logs.cleanup import CleanupReport

if TYPE_CHECKING:
    from inspect_ai.log import EvalLog

    from inspect_flow._logs.format.ziptail import ZipEnd

Token = tuple[int, int, int] | str
"""A local file's (size, mtime_ns, inode), or an S3 ETag."""


@dataclass
class LogState:
    """The state of one log as last read or written by this run.

    Attributes:
        token: The version token of the bytes the header came from (None: not on storage yet,
            e.g. a planned copy).
        fingerprint: A hash of the serialised header.
        tags: The log's tags at that time.
        metadata: A copy of the log's metadata at that time.
        identity: The log's ``(eval_id, run_id, task)``: a header written here must keep it.
    """

    token: Token | None
    fingerprint: str
    tags: list[str] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
    identity: tuple[str, str, str] | None = None


def identity(log: EvalLog) -> tuple[str, str, str]:
    """Return what makes a log the log it is: its eval's ``(eval_id, run_id, task)``."""
    return (log.eval.eval_id, log.eval.run_id, log.eval.task)


def fingerprint(log: EvalLog) -> str:
    """Return a hash of everything a header write would persist."""
    data = log.model_dump_json(exclude={"samples", "location", "etag"}, warnings=False)
    return hashlib.blake2b(data.encode(), digest_size=16).hexdigest()


class Session:
    """The state of one run; use it as a context manager (or call :meth:`close`).

    Args:
        keep_bodies: Keep the S3 bodies and zip ends that header reads fetch (a step run, which
            may write them back); ``check`` and ``list`` keep nothing.
    """

    def __init__(self, keep_bodies: bool = False) -> None:
        self.keep_bodies = keep_bodies
        self.cleanup = CleanupReport()
        self._states: dict[str, LogState] = {}
        self._ends: dict[tuple[str, str], ZipEnd] = {}
        self._bodies: str | None = None
        self._lock = threading.Lock()

    def __enter__(self) -> Session:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # ---------------------------------------------------------------------------- log states

    def remember(self, log: EvalLog, token: Token | None) -> LogState:
        """Record the state of ``log`` (just read, planned or just written) under its location."""
        state = LogState(
            token=token,
            fingerprint=fingerprint(log),
            tags=list(log.tags),
            metadata=copy.deepcopy(log.metadata),
            identity=identity(log),
        )
        self._states[log.location] = state
        return state

    def state_of(self, location: str) -> LogState | None:
        """Return the recorded state of a location, if any."""
        return self._states.get(location)

    def forget(self, location: str) -> None:
        """Drop the recorded state of a location."""
        self._states.pop(location, None)

    def needs_write(self, log: EvalLog) -> bool:
        """Return False when ``log``'s header is exactly what this run last read or wrote."""
        state = self._states.get(log.location)
        return state is None or state.fingerprint != fingerprint(log)

    # ------------------------------------------------------------------------ S3 read caches

    def remember_end(self, location: str, etag: str, end: ZipEnd) -> None:
        """Record where the central directory of version ``etag`` of an object starts."""
        if self.keep_bodies:
            self._ends[(location, etag)] = end

    def take_end(self, location: str, etag: str) -> ZipEnd | None:
        """Return (and forget) the recorded zip end of version ``etag`` of an object."""
        return self._ends.pop((location, etag), None)

    def put_body(self, location: str, etag: str, body: bytes) -> None:
        """Keep the whole body of version ``etag`` of an S3 object on local disk."""
        if not self.keep_bodies:
            return
        with open(self._body_path(location, etag), "wb") as f:
            f.write(body)

    def take_body(self, location: str, etag: str) -> bytes | None:
        """Return (and drop) the kept body of ``location`` at version ``etag``, if any."""
        if self._bodies is None:
            return None
        path = self._body_path(location, etag)
        try:
            with open(path, "rb") as f:
                body = f.read()
        except FileNotFoundError:
            return None
        os.unlink(path)
        return body

    def _body_path(self, location: str, etag: str) -> str:
        with self._lock:
            if self._bodies is None:
                self._bodies = tempfile.mkdtemp(prefix="inspect-flow-bodies-")
        digest = hashlib.sha256(f"{location}\0{etag}".encode()).hexdigest()
        return os.path.join(self._bodies, digest)

    def close(self) -> None:
        """Drop everything kept for the run (bodies on disk, zip ends, states)."""
        if self._bodies is not None:
            shutil.rmtree(self._bodies, ignore_errors=True)
            self._bodies = None
        self._ends.clear()
        self._states.clear()
