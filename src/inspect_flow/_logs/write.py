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

Logs whose header did not change since it was read are not touched at all.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from inspect_flow import _output
from inspect_flow._errors import CommitError, LogVanishedError, WriteConflictError, one_line
from inspect_flow._logs import headers, localfiles, paths, s3, s3edit
from inspect_flow._logs.read import cached_body
from inspect_flow._logs.s3edit import TailEdit
from inspect_flow._logs.state import Token, fingerprint, local_token, remember, state_of

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


@dataclass
class _Staged:
    log: EvalLog
    expected: Token | None
    temp: str = ""
    backup: str = ""  # local: hard link to the old file; s3: old bytes on local disk
    new_token: Token | None = None
    committed: bool = False
    extra: dict[str, str] = field(default_factory=dict)
    tail_edit: TailEdit | None = None  # s3: a large object's edit, staged as a multipart upload


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
    staged = [_Staged(log, _expected(log)) for log in logs if needs_write(log)]
    try:
        failures = _stage_all(staged)
        if not failures:
            failures = _commit_all(staged)
    finally:
        for item in staged:
            _cleanup(item)
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


def _stage_all(items: list[_Staged]) -> dict[str, BaseException]:
    """Stage every item concurrently (local in threads, S3 on the s3fs loop); collect errors."""
    failures: dict[str, BaseException] = {}
    local = [i for i in items if paths.is_local(i.log.location)]
    remote = [i for i in items if not paths.is_local(i.log.location)]
    if local:
        with (
            _output.progress("Writing logs", len(local)) as advance,
            ThreadPoolExecutor(max_workers=min(LOCAL_CONCURRENCY, len(local))) as pool,
        ):
            for item, exc in zip(local, pool.map(_capture(_stage_local), local), strict=True):
                advance()
                if exc is not None:
                    failures[item.log.location] = exc
    if remote:
        for item, result in zip(remote, s3.run_all(_stage_s3, remote), strict=True):
            if isinstance(result, BaseException):
                failures[item.log.location] = result
    return failures


def _capture(func: Callable[[_Staged], None]) -> Callable[[_Staged], BaseException | None]:
    def wrapped(item: _Staged) -> BaseException | None:
        try:
            func(item)
        except Exception as exc:
            return exc
        return None

    return wrapped


def _temp_name(path: str, kind: str) -> str:
    directory, name = os.path.split(path)
    # A leading dot and a non-log suffix: listings never pick these files up.
    return os.path.join(directory, f".{name}.{uuid.uuid4().hex[:12]}.{kind}")


def _write_header_into(log: EvalLog, file_path: str, fmt: str) -> None:
    """Write ``log``'s header into the staged private file ``file_path`` and fsync it."""
    from inspect_ai.log import write_eval_log

    # Ours first (same bytes as inspect_ai, without its per-call event loop, 12-thread zstd
    # compressor or .json sample re-validation); inspect_ai's only if its serialiser moved.
    replace = headers.replace_json_header if fmt == "json" else headers.replace_eval_header
    if replace(file_path, log):
        return
    write_eval_log(log, file_path, format=fmt, header_only=True)  # type: ignore[arg-type]
    fd = os.open(file_path, os.O_RDONLY)
    try:
        os.fsync(fd)  # durable before it replaces the original
    finally:
        os.close(fd)


def _fmt(location: str) -> str:
    return "json" if location.endswith(".json") else "eval"


def _stage_local(item: _Staged) -> None:
    path = paths.local_path(item.log.location)
    try:
        before = local_token(path)
    except FileNotFoundError as exc:
        raise LogVanishedError(f"Log no longer exists: {paths.display_path(path)}") from exc
    if item.expected is not None and before != item.expected:
        raise WriteConflictError(f"Log changed since it was read: {paths.display_path(path)}")
    item.expected = before
    item.temp = _temp_name(path, "flowtmp")
    if _fmt(path) == "json" and _stage_json(item, path, before):
        return
    localfiles.clone_or_copy(path, item.temp)  # O(1) on reflink filesystems
    shutil.copymode(path, item.temp)
    _check_unchanged(path, before)
    _write_header_into(item.log, item.temp, _fmt(path))


def _stage_json(item: _Staged, path: str, before: Token) -> bool:
    """Write the new ``.json`` log straight into the temp file (no pre-copy, one fsync).

    Returns:
        False when inspect_ai's serialiser is unavailable (nothing written).
    """
    with open(path, "rb") as f:
        original = f.read()
    _check_unchanged(path, before)  # what we read is the version the step saw
    document = headers.json_with_new_header(original, item.log)
    if document is None:
        return False
    localfiles.write_new_file(item.temp, document, mode_from=path)
    return True


def _check_unchanged(path: str, before: Token) -> None:
    if local_token(path) != before:
        raise WriteConflictError(f"Log changed while it was staged: {paths.display_path(path)}")


async def _stage_s3(item: _Staged) -> None:
    location = item.log.location
    expected = item.expected if isinstance(item.expected, str) else None
    body = cached_body(location, expected) if expected else None
    scratch = tempfile.mkdtemp(prefix="inspect-flow-stage-")
    item.extra["scratch"] = scratch
    if body is None and expected and _fmt(location) == "eval":
        # a large object: keep its samples on the server when it is large enough (s3edit)
        item.tail_edit, body = await s3edit.stage(item.log, expected, scratch, _write_header_into)
        if item.tail_edit is not None:
            return
    if body is None:
        body, etag, _ = await s3.get_object(location, if_match=expected)
        expected = etag
    item.expected = expected
    item.backup = os.path.join(scratch, "old")
    with open(item.backup, "wb") as f:
        f.write(body)
    item.temp = os.path.join(scratch, "new." + _fmt(location))
    shutil.copyfile(item.backup, item.temp)
    await asyncio.to_thread(_write_header_into, item.log, item.temp, _fmt(location))


def _commit_all(staged: list[_Staged]) -> dict[str, BaseException]:
    """Commit every staged log; on any failure put back what was committed.

    Local logs are swapped in one by one (renames are cheap). S3 objects are PUT concurrently
    (bounded): each PUT is conditional, so running them together changes nothing about safety, and
    on real S3 latency rather than CPU dominates.
    """
    for item in staged:
        if not paths.is_local(item.log.location):
            continue
        try:
            _commit_local(item)
        except Exception as exc:
            return {item.log.location: exc, **_rollback([i for i in staged if i.committed])}
    remote = [item for item in staged if not paths.is_local(item.log.location)]
    if remote:
        outcomes = s3.run_all(_commit_s3, remote)
        failures = {
            item.log.location: outcome
            for item, outcome in zip(remote, outcomes, strict=True)
            if isinstance(outcome, BaseException)
        }
        if failures:
            return {**failures, **_rollback([i for i in staged if i.committed])}
    _sync_dirs(staged)
    return {}


def _commit_local(item: _Staged) -> None:
    path = paths.local_path(item.log.location)
    try:
        current = local_token(path)
    except FileNotFoundError as exc:
        raise LogVanishedError(f"Log no longer exists: {paths.display_path(path)}") from exc
    if current != item.expected:
        raise WriteConflictError(f"Log changed since it was read: {paths.display_path(path)}")
    item.backup = _temp_name(path, "flowbak")
    os.link(path, item.backup)  # keeps the old version for rollback at no copying cost
    os.replace(item.temp, path)
    item.committed = True
    item.new_token = local_token(path)


async def _commit_s3(item: _Staged) -> None:
    if item.tail_edit is not None:
        item.new_token = await s3edit.commit(item.tail_edit)
        item.committed = True
        return
    with open(item.temp, "rb") as f:
        body = f.read()
    expected = item.expected if isinstance(item.expected, str) else None
    item.new_token = await s3.put_object(item.log.location, body, if_match=expected)
    item.committed = True


def _rollback(committed: list[_Staged]) -> dict[str, BaseException]:
    """Put back every committed log; return the ones that could not be put back.

    A log that cannot be put back is left fully new (never broken); it is reported, not hidden.
    """
    stuck: dict[str, BaseException] = {}
    for item in reversed(committed):
        try:
            if paths.is_local(item.log.location):
                os.replace(item.backup, paths.local_path(item.log.location))
                item.backup = ""
            else:
                _rollback_s3(item)
            item.committed = False
        except Exception as exc:
            stuck[item.log.location] = CommitError(
                f"Written, and could not be put back after the batch failed: {one_line(exc)}"
            )
    return stuck


def _rollback_s3(item: _Staged) -> None:
    token = item.new_token if isinstance(item.new_token, str) else None
    if item.tail_edit is not None and token is not None:
        restored = s3.run(s3edit.restore(item.tail_edit, token))  # the old tail, samples kept
    else:
        with open(item.backup, "rb") as f:
            old = f.read()
        restored = s3.run(s3.put_object(item.log.location, old, if_match=token))
    # The old bytes are back under a new ETag: what we read is current again.
    state = state_of(item.log.location)
    if state is not None:
        state.token = restored


def _sync_dirs(staged: list[_Staged]) -> None:
    directories = {
        os.path.dirname(paths.local_path(i.log.location))
        for i in staged
        if paths.is_local(i.log.location)
    }
    for directory in directories:
        try:
            fd = os.open(directory, os.O_RDONLY)
        except OSError:
            continue
        try:
            os.fsync(fd)  # make the renames durable
        except OSError:
            pass
        finally:
            os.close(fd)


def _cleanup(item: _Staged) -> None:
    if item.tail_edit is not None:
        s3.run(s3edit.discard(item.tail_edit))  # aborts an upload that was never completed
    scratch = item.extra.get("scratch")
    if scratch:
        shutil.rmtree(scratch, ignore_errors=True)
        return
    for leftover in (item.temp, item.backup):
        if leftover:
            try:
                os.unlink(leftover)
            except FileNotFoundError:
                pass
