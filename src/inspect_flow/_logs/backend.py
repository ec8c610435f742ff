"""The one storage backend interface (local disk, S3), and the staged write both implement it for.

The transaction engine (``batch``) knows nothing of disks or buckets: it hands each backend the
:class:`Staged` writes whose target lives there, and the backend stages, commits, rolls back and
discards them. A staged write is either a header edit of a log (``source`` is None) or a copy of
``source`` to the target (with the target's own header when it differs from the source's).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from inspect_flow._logs import locations

if TYPE_CHECKING:
    from inspect_ai.log import EvalLog

    from inspect_flow._logs.session import Session, Token


@dataclass(eq=False, slots=True)  # identity: staged writes are dict keys; one per log
class Staged:
    """One write of a batch, from staging to commit (or rollback, or discard).

    Attributes:
        location: The log the write replaces (an edit) or creates/replaces (a copy).
        log: The header to write; None for a copy whose header is the source's.
        expected: An edit: the version token it must replace. A copy: the destination's version
            when staged (None: the destination must not exist at the commit).
        source: A copy's source log (None for an edit).
        source_token: The version of the source the copy must be made from.
        overwrite: A copy may replace an existing destination.
        base: A local file holding the source's new version staged by this batch (a copy of an
            edited log is made from it, byte for byte).
        temp: The staged new file (local: hidden, beside the target).
        target: Local: the file the write replaces, once resolved (an edit of a symlinked log
            replaces the link's target).
        backup: The old version (local: a hard link; S3: for a copy, an object beside the
            destination; an S3 edit keeps its old bytes in ``pending``).
        new_token: The version token after the commit.
        committed: Whether the new version is in place.
        scratch: S3: a private local directory for a large object's tail edit.
        pending: S3: the staged in-memory write, multipart upload or tail edit, until
            committed or discarded.
        made_dirs: Local copies: directories created for the destination (removed on failure).
        staged_body: S3: an edit's new version staged in memory; a copy of that edit is made from
            it (byte for byte).
        fingerprint: The fingerprint of ``log`` (or of a copy's header), computed once when the
            batch is planned and recorded in the session after the commit.
        rolled_back: Committed, then put back because the batch failed or was interrupted.
        keep_old: Committed and not put back (the batch failed): the previous version must be
            kept, never deleted.
    """

    location: str
    log: EvalLog | None
    expected: Token | None = None
    source: str | None = None
    source_token: Token | None = None
    overwrite: bool = False
    base: str = ""
    temp: str = ""
    target: str = ""
    backup: str = ""
    new_token: Token | None = None
    committed: bool = False
    scratch: str = ""
    pending: Any = None
    made_dirs: list[str] = field(default_factory=list)
    staged_body: bytes | None = None
    fingerprint: bytes = b""
    rolled_back: bool = False
    keep_old: bool = False

    @property
    def is_copy(self) -> bool:
        """True for a copy, False for a header edit."""
        return self.source is not None


class Backend(Protocol):
    """What the engine asks of a storage backend (``local.backend``, ``s3.backend``)."""

    def read_all(
        self, locations: list[str], session: Session, advance: Callable[[], None]
    ) -> list[tuple[EvalLog, Token] | str]:
        """Read headers, calling ``advance`` per log.

        Returns:
            Per location, in order: the header and its version token, or why it is unreadable.
        """

    def sweep(self, items: list[Staged], session: Session) -> None:
        """Remove the leftovers of killed runs where ``items`` are staged (never raises)."""

    def stage_all(self, items: list[Staged], session: Session) -> dict[Staged, BaseException]:
        """Stage every item (concurrently, bounded); return the failures."""

    def commit_all(self, items: list[Staged], session: Session) -> dict[Staged, BaseException]:
        """Commit every staged item (all checks conditional); return the failures."""

    def rollback(self, item: Staged, session: Session) -> None:
        """Put back what a committed item replaced (or remove what it created)."""

    def discard(self, item: Staged, session: Session) -> None:
        """Remove what staging left (temp files, backups, uploads never completed)."""

    def sync(self, items: list[Staged]) -> None:
        """Make the committed items durable (local: fsync their directories)."""


def backend_for(location: str) -> Backend:
    """Return the backend storing ``location``.

    Raises:
        ValueError: Neither a local path nor an ``s3://`` URL.
    """
    if locations.is_local(location):
        from inspect_flow._logs.local import backend as local_backend

        return local_backend.BACKEND
    if locations.is_s3(location):
        from inspect_flow._logs.s3 import backend as s3_backend

        return s3_backend.BACKEND
    raise ValueError(f"unsupported storage (only local and s3:// logs): {location}")
