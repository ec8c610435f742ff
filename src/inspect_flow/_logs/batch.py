"""The one transaction engine: header edits and copies, all or nothing, crash-safe.

A batch (the dirty logs and the planned copies of a step run) is written in two phases:

1. **Stage** every write where nothing can see it: local targets get a hidden temp file beside
   them; S3 targets get the new bytes on local disk or a multipart upload that is invisible until
   completed. Edits are staged first, then copies (a copy of an edited log is made from the
   log's staged new version). Staging checks that every log is still the version read, and that
   a destination planned as new is still absent.
2. **Commit** only if everything staged: local targets are swapped in with ``os.replace`` (or
   linked into place, for a new copy), S3 writes are completed with ``If-Match`` /
   ``If-None-Match``. If a commit fails part-way, what was committed is put back.

Logs whose header did not change since it was read are not touched at all. The backends
(``local.backend``, ``s3.backend``) do each write's part; ``cleanup`` removes what killed runs left
where this batch stages. The result is one :class:`Outcome` per edit and per copy.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from inspect_flow._errors import (
    CommitError,
    CommitInterrupted,
    InvalidHeaderError,
    LogVanishedError,
    WriteConflictError,
    one_line,
)
from inspect_flow._logs import interrupt, locations
from inspect_flow._logs.backend import Backend, Staged, backend_for
from inspect_flow._logs.live import live_reason
from inspect_flow._logs.session import Session, Token, fingerprint, identity

if TYPE_CHECKING:
    from inspect_ai.log import EvalLog

_THREADED_DISCARD = 16  # fewer local writes than this are cleaned up on the calling thread
_DISCARD_THREADS = 4

Status = Literal["written", "unchanged", "copied", "skipped", "conflict", "failed", "not written"]


@dataclass(slots=True)
class Outcome:
    """What happened to one write of a batch (a header edit, or a copy).

    Attributes:
        location: The log written (an edit) or the copy's destination.
        status: ``written`` (an edit, or a copy with its own header), ``copied``, ``unchanged``
            (nothing to write), ``conflict`` (changed, vanished or appeared since read/planned),
            ``failed`` (an I/O error), ``not written`` (held back because another write of the
            batch failed, or Ctrl+C; all or nothing) or ``skipped`` (an edit of a log whose
            eval is still running, see ``live``).
        detail: A one-line reason for the statuses that are not a success.
        source: A copy's source (None for an edit).
        token: The version token after the write (local stat or S3 ETag), when written.
    """

    location: str
    status: Status
    detail: str = ""
    source: str | None = None
    token: Token | None = None

    @property
    def changed_storage(self) -> bool:
        """True when this write put new bytes at ``location`` (``written`` or ``copied``)."""
        return self.status in ("written", "copied")


@dataclass(slots=True)
class CopyRequest:
    """One planned copy.

    Attributes:
        source: The log copied, on storage (the source of a chain of copies planned in one run).
        dest: The destination location.
        header: The destination's header (``location`` = ``dest``); written into the copy when
            it differs from the source's header on storage.
        overwrite: Replace an existing destination (otherwise it must still be absent).
        source_etag: The S3 source's ETag as the caller knows it (for a source this run's
            session did not read).
    """

    source: str
    dest: str
    header: EvalLog
    overwrite: bool = False
    source_etag: str | None = None


def commit_batch(
    edits: Sequence[EvalLog], copies: Sequence[CopyRequest], session: Session
) -> list[Outcome]:
    """Write the header edits and the copies of one batch, all or nothing.

    Args:
        edits: Edited header-only logs (``location`` set); those unchanged since read are skipped.
        copies: Planned copies.
        session: The run's session: its version tokens make every write conditional, and it is
            refreshed with the new versions.

    Returns:
        One outcome per edit (in order), then one per copy (in order).

    Raises:
        CommitError: Some write could not be staged or committed. Nothing of the batch is left
            changed; the error's ``outcomes`` say what happened to each write.
    """
    live = _live(edits, session)  # an edit inspect_ai would overwrite is not written
    edit_items = [
        _edit(log, wanted, session)
        for log in edits
        if log.location not in live and (wanted := session.changed(log))
    ]
    staged_edits = {item.location: item for item in edit_items}
    copy_items = [_copy(request, session, staged_edits) for request in copies]
    items = edit_items + copy_items
    failures = _invalid(items, session)  # a buggy step cannot corrupt a log
    with interrupt.deferred():  # a first Ctrl+C stops the batch cleanly, never half-way
        try:
            failures = _write(edit_items, copy_items, staged_edits, failures, session)
            stopped = interrupt.requested()
        except KeyboardInterrupt:  # a second Ctrl+C, during the rollback: report what is left
            failures = {i: _not_put_back(i) for i in items if i.committed}
            failures = failures or {i: interrupt.WriteInterrupted() for i in items[:1]}
            stopped = True
    outcomes = _outcomes(edits, copies, items, failures, session)
    outcomes = [
        Outcome(o.location, "skipped", live[o.location]) if o.location in live else o
        for o in outcomes
    ]
    if stopped:
        raise CommitInterrupted(_interrupted_summary(outcomes), outcomes)
    if failures:
        raise CommitError(_summary(failures), outcomes)
    return outcomes


def _write(
    edit_items: list[Staged],
    copy_items: list[Staged],
    staged_edits: dict[str, Staged],
    failures: dict[Staged, BaseException],
    session: Session,
) -> dict[Staged, BaseException]:
    """Sweep, stage and commit the batch; discard what staging left. Returns the failures."""
    items = edit_items + copy_items
    succeeded = False
    try:
        for backend, group in _by_backend(items if not failures else []):
            backend.sweep(group, session)
        for phase in (edit_items, copy_items):  # a copy may be made from an edit's staged file
            if phase is copy_items:
                _resolve_bases(copy_items, staged_edits)
            for backend, group in _by_backend(phase):
                if not failures:
                    failures.update(backend.stage_all(group, session))
        if not failures:
            failures = _commit_all(items, session)
        succeeded = not failures
    finally:
        for item in items:
            if item.committed and not succeeded:
                # Written and not put back: its previous version may exist nowhere else. Kept
                # (locally a .flowbak beside it, which later runs report), never deleted.
                item.backup = item.scratch = ""
                item.keep_old = True
        _discard_all(items, session)
    return failures


def _live(edits: Sequence[EvalLog], session: Session) -> dict[str, str]:
    found: dict[str, str] = {}
    for log in edits:
        state = session.state_of(log.location)
        reason = live_reason(log, state.token if state is not None else None)
        if reason is not None and session.needs_write(log):
            found[log.location] = reason
    return found


def _discard_all(items: list[Staged], session: Session) -> None:
    """Remove every item's temp file and backup once the batch is over.

    Local ones on a few threads (an unlink waits on the disk, not on the GIL: 1000 of them one by
    one took over a second on a busy disk), the others in turn. The directories a copy made go
    last: the other copies' temp files must be gone first.
    """
    local = [i for i in items if not i.made_dirs and locations.is_local(i.location)]
    rest = items
    if len(local) >= _THREADED_DISCARD:
        with ThreadPoolExecutor(max_workers=_DISCARD_THREADS) as pool:
            list(pool.map(lambda item: backend_for(item.location).discard(item, session), local))
        done = set(local)
        rest = [i for i in items if i not in done]
    for item in sorted(rest, key=lambda i: bool(i.made_dirs)):
        backend_for(item.location).discard(item, session)


def _edit(log: EvalLog, wanted: bytes, session: Session) -> Staged:
    state = session.state_of(log.location)
    expected: Token | None = state.token if state is not None else None
    if expected is None and locations.is_s3(log.location):
        expected = log.etag
    return Staged(log.location, log, expected, fingerprint=wanted)


def _copy(request: CopyRequest, session: Session, staged_edits: dict[str, Staged]) -> Staged:
    """Plan a copy: from the source as read, or from its staged edit when that is its header."""
    state = session.state_of(request.source)
    wanted = fingerprint(request.header)
    item = Staged(
        request.dest,
        request.header,
        source=request.source,
        source_token=state.token if state is not None else request.source_etag,
        overwrite=request.overwrite,
        fingerprint=wanted,
    )
    # What the source holds on storage: as this run read it, else (a log this run never read)
    # the header the copy was planned with.
    stored = state or session.state_of(request.dest)
    edit = staged_edits.get(request.source)
    if edit is not None and edit.log is not None and edit.fingerprint == wanted:
        item.base = edit.location  # the edit's staged file, once it is staged (_resolve_bases)
    elif stored is None or stored.fingerprint == wanted:
        item.log = None  # byte for byte the source as it is on storage
    return item


def _invalid(items: list[Staged], session: Session) -> dict[Staged, BaseException]:
    """Check every header to be written before anything is staged.

    A header must round-trip through inspect_ai's model (a step that set ``log.tags`` to a string
    would otherwise write a log inspect_ai cannot read), and keep the identity (eval id, run id,
    task) of the log at its location (a step returning log A under B's location would otherwise
    overwrite B's header with A's).
    """
    from inspect_ai.log import EvalLog
    from pydantic import ValidationError

    failures: dict[Staged, BaseException] = {}
    for item in items:
        if item.log is None:
            continue
        shown = locations.display_path(item.location)
        try:
            data = item.log.model_dump(exclude={"samples"}, warnings=False)
            EvalLog.model_validate(data)
        except (ValidationError, ValueError, TypeError) as exc:
            failures[item] = InvalidHeaderError(
                f"Refusing to write an invalid header to {shown}: {_first_error(exc)}"
            )
            continue
        state = session.state_of(item.source or item.location)
        if state is not None and state.identity not in (None, identity(item.log)):
            failures[item] = InvalidHeaderError(
                f"Refusing to write the header of another eval to {shown} "
                f"(eval_id {item.log.eval.eval_id}, the log is {state.identity[0]})"
            )
    return failures


def _first_error(exc: Exception) -> str:
    from pydantic import ValidationError

    if isinstance(exc, ValidationError) and exc.errors():
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error.get("loc", ()))
        return f"{where}: {error.get('msg', '')}" if where else str(error.get("msg", ""))
    return one_line(exc)


def _resolve_bases(copies: list[Staged], staged_edits: dict[str, Staged]) -> None:
    """Point copies of edited logs at the edits' staged files (or write their header themselves).

    A small S3 edit is staged in memory: its copies are made from those bytes. A large S3 edit is
    staged server-side (no local file): its copies write the header instead.
    """
    for item in copies:
        if item.base:
            edit = staged_edits[item.base]
            item.base, item.staged_body = edit.temp, edit.staged_body
            if item.base or item.staged_body is not None:
                item.log = None  # byte for byte the source's new version


def _by_backend(items: list[Staged]) -> list[tuple[Backend, list[Staged]]]:
    groups: dict[int, tuple[Backend, list[Staged]]] = {}
    for item in items:
        backend = backend_for(item.location)
        groups.setdefault(id(backend), (backend, []))[1].append(item)
    return list(groups.values())


def _commit_all(items: list[Staged], session: Session) -> dict[Staged, BaseException]:
    """Commit every staged write (local first, then S3); on any failure put back what was done."""
    failures: dict[Staged, BaseException] = {}
    try:
        for backend, group in sorted(_by_backend(items), key=lambda g: g[0] is not _local()):
            failures = backend.commit_all(group, session)
            if failures:
                break
    except BaseException:  # Ctrl+C (or another interrupt): put back what was committed first
        _rollback([i for i in items if i.committed], session)
        raise
    if failures:
        return {**failures, **_rollback([i for i in items if i.committed], session)}
    for backend, group in _by_backend(items):
        backend.sync(group)
    return {}


def _local() -> Backend:
    return backend_for("file:///")


def _rollback(committed: list[Staged], session: Session) -> dict[Staged, BaseException]:
    """Put back every committed write; return the ones that could not be put back.

    A write that cannot be put back is left fully new (never broken); it is reported, not hidden.
    """
    stuck: dict[Staged, BaseException] = {}
    for item in reversed(committed):
        try:
            with interrupt.atomic():
                backend_for(item.location).rollback(item, session)
                item.rolled_back = True
        except Exception as exc:
            stuck[item] = CommitError(
                f"Written, and could not be put back after the batch failed: {one_line(exc)}"
            )
    return stuck


def _outcomes(
    edits: Sequence[EvalLog],
    copies: Sequence[CopyRequest],
    items: list[Staged],
    failures: dict[Staged, BaseException],
    session: Session,
) -> list[Outcome]:
    by_edit = {i.location: i for i in items if not i.is_copy}
    by_copy = {i.location: i for i in items if i.is_copy}
    outcomes = [
        _outcome(log.location, by_edit.get(log.location), None, failures, session) for log in edits
    ]
    outcomes += [_outcome(c.dest, by_copy.get(c.dest), c, failures, session) for c in copies]
    return outcomes


def _outcome(
    location: str,
    item: Staged | None,
    request: CopyRequest | None,
    failures: dict[Staged, BaseException],
    session: Session,
) -> Outcome:
    source = request.source if request is not None else None
    if item is None:
        return Outcome(location, "unchanged", source=source)
    if item in failures and not isinstance(failures[item], interrupt.WriteInterrupted):
        exc = failures[item]
        status: Status = (
            "conflict" if isinstance(exc, (WriteConflictError, LogVanishedError)) else "failed"
        )
        return Outcome(location, status, one_line(exc), source)
    if failures:
        stopped = interrupt.requested() or any(
            isinstance(exc, interrupt.WriteInterrupted) for exc in failures.values()
        )
        why = "interrupted (Ctrl+C)" if stopped else "another log of the batch failed"
        done = "rolled back" if item.rolled_back else "held back"
        return Outcome(location, "not written", f"{done}: {why}", source)
    header = request.header if request is not None else item.log
    assert header is not None
    session.remember(header, item.new_token, item.fingerprint)
    if locations.is_s3(location) and isinstance(item.new_token, str):
        header.etag = item.new_token
    status = "copied" if item.is_copy and item.log is None else "written"
    return Outcome(location, status, source=source, token=item.new_token)


def _not_put_back(item: Staged) -> CommitError:
    if item.is_copy and not item.overwrite:
        return CommitError("Copied, and Ctrl+C again before the copy was removed")
    kept = "; its previous version is kept beside it (.flowbak)"
    return CommitError(
        f"Written, and Ctrl+C again before it was put back{kept if _is_local(item) else ''}"
    )


def _is_local(item: Staged) -> bool:
    return locations.is_local(item.location)


def _interrupted_summary(outcomes: list[Outcome]) -> str:
    written = [o for o in outcomes if o.changed_storage]
    kept = [o for o in outcomes if o.status == "failed"]
    if not written and not kept:
        return "nothing written (the batch was rolled back or not started)"
    if kept:
        return f"{len(kept)} written and could not be put back (see the report)"
    return f"after the batch was written ({len(written)} written)"


def _summary(failures: dict[Staged, BaseException]) -> str:
    first, exc = next(iter(failures.items()))
    more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
    text = one_line(exc)
    shown = locations.display_path(first.location)
    # Our own messages already name the log; don't say its path twice.
    where = "" if shown in text or first.location in text else f"{shown}: "
    return f"Nothing written: {where}{text}{more}"
