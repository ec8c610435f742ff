"""Per-run state: what one run knows about the logs it read and wrote.

A :class:`Session` belongs to one run: the outermost step context, or one ``check``/``list``
call (``read_headers`` without a session makes a short-lived one). It holds

* each log's version token and header fingerprint as read or last written: the token makes every
  write conditional (a log changed by someone else since our read is a conflict); the fingerprint
  makes no-op edits write nothing. After our own write the state is refreshed, so a flush
  followed by another edit of the same log never conflicts with itself;
* the bodies of small S3 objects fetched by header reads (in memory, up to ``BODY_BUDGET`` bytes
  in all, so a following header write or copy needs no second download) and the zip ends of
  large ``.eval`` objects (where their central directory starts, for a multipart header edit);
* what the run's sweeps of leftovers removed or kept (:class:`~.cleanup.CleanupReport`).

Nothing outlives the session: :meth:`Session.close` drops the bodies, and another run in the same
process (another thread, another context) has its own session, so it cannot refresh *our* token
behind our back and turn its write into our lost update.
"""

from __future__ import annotations

import copy
import hashlib
import threading
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any

from inspect_flow._logs.cleanup import CleanupReport

if TYPE_CHECKING:
    from inspect_ai.log import EvalLog

    from inspect_flow._logs.format.ziptail import ZipEnd

# The most bytes of S3 bodies one session keeps in memory (see Session.put_body).
BODY_BUDGET = 256 * 1024 * 1024

Token = tuple[int, int, int] | str
"""A local file's (size, mtime_ns, inode), or an S3 ETag."""


@dataclass(slots=True)
class LogState:
    """The state of one log as last read or written by this run.

    One is kept per log for the whole transaction, so it is compact: slots, a 16-byte digest,
    a tuple of tags, and no copy of empty metadata.

    Attributes:
        token: The version token of the bytes the header came from (None: not on storage yet,
            e.g. a planned copy).
        fingerprint: A hash of the serialised header (16 bytes).
        tags: The log's tags at that time.
        metadata: A copy of the log's metadata at that time.
        identity: The log's ``(eval_id, run_id, task)``: a header written here must keep it.
    """

    token: Token | None
    fingerprint: bytes
    tags: tuple[str, ...] = ()
    metadata: dict[str, Any] = field(default_factory=dict)
    identity: tuple[str, str, str] | None = None


def identity(log: EvalLog) -> tuple[str, str, str]:
    """Return what makes a log the log it is: its eval's ``(eval_id, run_id, task)``."""
    return (log.eval.eval_id, log.eval.run_id, log.eval.task)


def fingerprint(log: EvalLog) -> bytes:
    """Return a hash of everything a header write would persist (16 bytes)."""
    data = log.model_dump_json(exclude={"samples", "location", "etag"}, warnings=False)
    return hashlib.blake2b(data.encode(), digest_size=16).digest()


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
        self._bodies: dict[str, tuple[str, bytes]] = {}
        self._body_bytes = 0
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

    def remember(self, log: EvalLog, token: Token | None, known: bytes = b"") -> LogState:
        """Record the state of ``log`` (just read, planned or just written) under its location.

        ``known`` is the fingerprint of ``log`` when the caller has just computed it (the batch
        has, for every header it wrote), so that each header is serialised once.
        """
        state = LogState(
            token=token,
            fingerprint=known or fingerprint(log),
            tags=tuple(log.tags),
            metadata=copy.deepcopy(log.metadata) if log.metadata else {},
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
        return bool(self.changed(log))

    def changed(self, log: EvalLog) -> bytes:
        """Return ``log``'s fingerprint if its header is not what this run last read or wrote.

        Empty bytes when it is (nothing to write).
        """
        state = self._states.get(log.location)
        current = fingerprint(log)
        return current if state is None or state.fingerprint != current else b""

    # ------------------------------------------------------------------------ S3 read caches

    def remember_end(self, location: str, etag: str, end: ZipEnd) -> None:
        """Record where the central directory of version ``etag`` of an object starts."""
        if self.keep_bodies:
            self._ends[(location, etag)] = end

    def take_end(self, location: str, etag: str) -> ZipEnd | None:
        """Return (and forget) the recorded zip end of version ``etag`` of an object."""
        return self._ends.pop((location, etag), None)

    def put_body(self, location: str, etag: str, body: bytes) -> None:
        """Keep the whole body of version ``etag`` of a small S3 object in memory.

        At most ``BODY_BUDGET`` bytes are kept in all: beyond that a body is not kept, and a write
        of that log fetches it again (one conditional GET).
        """
        if not self.keep_bodies:
            return
        with self._lock:
            if self._body_bytes + len(body) > BODY_BUDGET:
                return
            old = self._bodies.pop(location, None)
            self._body_bytes += len(body) - (len(old[1]) if old else 0)
            self._bodies[location] = (etag, body)

    def body(self, location: str, etag: str) -> bytes | None:
        """Return the kept body of ``location`` at version ``etag``, if any (it stays kept)."""
        kept = self._bodies.get(location)
        return kept[1] if kept is not None and kept[0] == etag else None

    def drop_body(self, location: str) -> None:
        """Forget the kept body of ``location`` (its write is over)."""
        with self._lock:
            old = self._bodies.pop(location, None)
            if old is not None:
                self._body_bytes -= len(old[1])

    def close(self) -> None:
        """Drop everything kept for the run (bodies, zip ends, states)."""
        with self._lock:
            self._bodies.clear()
            self._body_bytes = 0
        self._ends.clear()
        self._states.clear()
