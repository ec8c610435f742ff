"""What we knew about each log when we read it: its version token and a fingerprint of its header.

The token makes every write conditional (optimistic concurrency, DESIGN §3 item 4): a log changed by
someone else between our read and our write is a conflict. The fingerprint makes no-op edits write
nothing (item 3). States are keyed by location, kept per run (a step context's scope, falling back
to this process's last known state), and refreshed after our own writes, so a flush followed by
another edit of the same log never conflicts with itself.
"""

from __future__ import annotations

import copy
import hashlib
import os
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from inspect_ai.log import EvalLog

Token = tuple[int, int, int] | str
"""A local file's (size, mtime_ns, inode), or an S3 ETag."""


@dataclass
class LogState:
    """The state of one log as last read or written by this process.

    Attributes:
        token: The version token of the bytes the header came from.
        fingerprint: A hash of the serialised header.
        tags: The log's tags at that time.
        metadata: A copy of the log's metadata at that time.
    """

    token: Token | None
    fingerprint: str
    tags: list[str] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)


_STATES: dict[str, LogState] = {}
# The states recorded by the running step context (one run). They take precedence over the
# process-wide table, so another run in this process (another thread, another context) that reads
# and writes the same log cannot refresh *our* token behind our back and turn its write into our
# lost update.
_SCOPE: ContextVar[dict[str, LogState] | None] = ContextVar("inspect_flow_log_states", default=None)


def local_token(path: str) -> tuple[int, int, int]:
    """Return the version token of a local file (raises FileNotFoundError when it is gone)."""
    st = os.stat(path)
    return (st.st_size, st.st_mtime_ns, st.st_ino)


def fingerprint(log: EvalLog) -> str:
    """Return a hash of everything a header write would persist."""
    data = log.model_dump_json(exclude={"samples", "location", "etag"})
    return hashlib.blake2b(data.encode(), digest_size=16).hexdigest()


def remember(log: EvalLog, token: Token | None) -> LogState:
    """Record the state of ``log`` (just read or just written) under its location."""
    state = LogState(
        token=token,
        fingerprint=fingerprint(log),
        tags=list(log.tags),
        metadata=copy.deepcopy(log.metadata),
    )
    _STATES[log.location] = state
    scope = _SCOPE.get()
    if scope is not None:
        scope[log.location] = state
    return state


def state_of(location: str) -> LogState | None:
    """Return the last recorded state of a location: this run's, else this process's, if any."""
    scope = _SCOPE.get()
    if scope is not None and location in scope:
        return scope[location]
    return _STATES.get(location)


def forget(location: str) -> None:
    """Drop the recorded state of a location."""
    _STATES.pop(location, None)
    scope = _SCOPE.get()
    if scope is not None:
        scope.pop(location, None)


def open_scope() -> Any:
    """Start recording states for one run (the calling context); returns a token for close_scope.

    Call this in the thread that reads and writes: states are recorded by the caller of
    ``read_headers``/``write_headers``, never in worker threads.
    """
    return _SCOPE.set({})


def scope_open() -> bool:
    """Return True inside a run (between :func:`open_scope` and :func:`close_scope`)."""
    return _SCOPE.get() is not None


def close_scope(token: Any) -> None:
    """End the scope opened by :func:`open_scope`."""
    _SCOPE.reset(token)
