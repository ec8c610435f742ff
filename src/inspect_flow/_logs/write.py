"""All-or-nothing, conditional, crash-safe header writes.

A batch of dirty logs is written in two phases (DESIGN §3 items 1–4):

1. **Stage** every log: build its complete new file next to it (local: a hidden temp file in the
   same directory, made by copying the log and writing the new header into the copy with inspect_ai;
   S3: the new object bytes on local disk, or for a large ``.eval`` object a multipart upload that
   copies its unchanged part server-side, see ``s3edit``). Staging checks that each log is still
   the version we read.
2. **Commit** only if every log staged: local logs are swapped in with ``os.replace`` (atomic: a
   reader or a crash sees the whole old file or the whole new one), S3 objects are PUT (or their
   upload completed) with ``If-Match``. If a commit fails part-way, the logs already committed are
   put back.

Logs whose header did not change since it was read are not touched at all. This module drives the
batch; ``localwrite`` and ``s3write`` do each log's part, and ``leftovers`` removes what killed runs
left where this batch stages.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from inspect_flow import _output
from inspect_flow._errors import CommitError, LogVanishedError, WriteConflictError, one_line
from inspect_flow._logs import leftovers, localwrite, paths, s3, s3write
from inspect_flow._logs.staged import Staged
from inspect_flow._logs.state import Token, fingerprint, remember, state_of

if TYPE_CHECKING:
    from inspect_ai.log import EvalLog

Outcome = Literal["written", "unchanged", "conflict", "failed", "not written"]
LOCAL_CONCURRENCY = 4


@dataclass
class WriteOutcome:
    """What happened to one log of a batch.

    Attributes:
        location: The log's URI.
        status: ``written``, ``unchanged`` (nothing to write), ``conflict`` (changed or vanished
            since read), ``failed`` (an I/O error) or ``not written`` (held back because another log
            of the batch failed; all-or-nothing).
        detail: A one-line reason for the non-written statuses.
    """

    location: str
    status: Outcome
    detail: str = ""


def needs_write(log: EvalLog) -> bool:
    """Return False when ``log``'s header is exactly what we last read or wrote."""
    state = state_of(log.location)
    return state is None or state.fingerprint != fingerprint(log)


def write_headers(logs: Sequence[EvalLog]) -> list[WriteOutcome]:
    """Write the headers of ``logs`` all-or-nothing.

    Returns:
        One outcome per log, in input order (``written`` or ``unchanged``).

    Raises:
        CommitError: Some log could not be staged or committed. No log of the batch is left changed;
            the error's ``outcomes`` attribute says what happened to each.
    """
    outcomes = {log.location: WriteOutcome(log.location, "unchanged") for log in logs}
    staged = [Staged(log, _expected(log)) for log in logs if needs_write(log)]
    local = [i.log.location for i in staged if paths.is_local(i.log.location)]
    leftovers.sweep_local(os.path.dirname(paths.local_path(loc)) for loc in local)
    try:
        failures = _stage_all(staged)
        if not failures:
            failures = _commit_all(staged)
    finally:
        for item in staged:
            if paths.is_local(item.log.location):
                localwrite.discard(item)
            else:
                s3write.discard(item)
        leftovers.report()
    if failures:
        for item in staged:
            outcomes[item.log.location] = WriteOutcome(
                item.log.location, "not written", "held back: another log of the batch failed"
            )
        for location, exc in failures.items():
            status: Outcome = (
                "conflict" if isinstance(exc, (WriteConflictError, LogVanishedError)) else "failed"
            )
            outcomes[location] = WriteOutcome(location, status, one_line(exc))
        raise CommitError(_summary(failures), [outcomes[log.location] for log in logs])
    for item in staged:
        remember(item.log, item.new_token)
        if paths.is_s3(item.log.location) and isinstance(item.new_token, str):
            item.log.etag = item.new_token
        outcomes[item.log.location] = WriteOutcome(item.log.location, "written")
    return [outcomes[log.location] for log in logs]


def _summary(failures: dict[str, BaseException]) -> str:
    first, exc = next(iter(failures.items()))
    more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
    text = one_line(exc)
    shown = paths.display_path(first)
    # Our own messages already name the log; don't say its path twice.
    where = "" if shown in text or first in text else f"{shown}: "
    return f"Nothing written: {where}{text}{more}"


def _expected(log: EvalLog) -> Token | None:
    state = state_of(log.location)
    if state is not None:
        return state.token
    return log.etag if paths.is_s3(log.location) else None


def _stage_all(items: list[Staged]) -> dict[str, BaseException]:
    """Stage every item concurrently (local in threads, S3 on the s3fs loop); collect errors."""
    failures: dict[str, BaseException] = {}
    local = [i for i in items if paths.is_local(i.log.location)]
    remote = [i for i in items if not paths.is_local(i.log.location)]
    if local:
        with (
            _output.progress("Writing logs", len(local)) as advance,
            ThreadPoolExecutor(max_workers=min(LOCAL_CONCURRENCY, len(local))) as pool,
        ):
            for item, exc in zip(local, pool.map(_capture(localwrite.stage), local), strict=True):
                advance()
                if exc is not None:
                    failures[item.log.location] = exc
    if remote:
        for item, result in zip(remote, s3.run_all(s3write.stage, remote), strict=True):
            if isinstance(result, BaseException):
                failures[item.log.location] = result
    return failures


def _capture(func: Callable[[Staged], None]) -> Callable[[Staged], BaseException | None]:
    def wrapped(item: Staged) -> BaseException | None:
        try:
            func(item)
        except Exception as exc:
            return exc
        return None

    return wrapped


def _commit_all(staged: list[Staged]) -> dict[str, BaseException]:
    """Commit every staged log; on any failure put back what was committed.

    Local logs are swapped in one by one (renames are cheap). S3 objects are PUT concurrently
    (bounded): each PUT is conditional, so running them together changes nothing about safety, and
    on real S3 latency rather than CPU dominates.
    """
    for item in staged:
        if not paths.is_local(item.log.location):
            continue
        try:
            localwrite.commit(item)
        except Exception as exc:
            return {item.log.location: exc, **_rollback([i for i in staged if i.committed])}
    remote = [item for item in staged if not paths.is_local(item.log.location)]
    if remote:
        outcomes = s3.run_all(s3write.commit, remote)
        failures = {
            item.log.location: outcome
            for item, outcome in zip(remote, outcomes, strict=True)
            if isinstance(outcome, BaseException)
        }
        if failures:
            return {**failures, **_rollback([i for i in staged if i.committed])}
    localwrite.sync_dirs(i.log.location for i in staged if paths.is_local(i.log.location))
    return {}


def _rollback(committed: list[Staged]) -> dict[str, BaseException]:
    """Put back every committed log; return the ones that could not be put back.

    A log that cannot be put back is left fully new (never broken); it is reported, not hidden.
    """
    stuck: dict[str, BaseException] = {}
    for item in reversed(committed):
        try:
            if paths.is_local(item.log.location):
                localwrite.rollback(item)
            else:
                s3write.rollback(item)
            item.committed = False
        except Exception as exc:
            stuck[item.log.location] = CommitError(
                f"Written, and could not be put back after the batch failed: {one_line(exc)}"
            )
    return stuck
