"""Concurrent, bounded header reads, with per-path errors instead of exceptions.

Local logs are read on one event loop from open file objects: inspect_ai's path-based reader sets up
an async filesystem per call, which costs ~10x the parse itself for small logs. S3 logs are read on
the shared s3fs loop: one ranged GET of the object's last MiB, which for the usual small log
is the whole object — a step run's session keeps its bytes on local disk (not in memory) so a
following header write needs no second download. For a larger ``.eval`` log those bytes hold its
central directory and (inspect_ai writes it last) ``header.json``: inspect_ai reads the header
from a sparse mirror of them (``ziptail``), and a member outside them is fetched with one more
ranged GET conditional on the ETag. Larger ``.json`` logs are read by inspect_ai's streaming reader.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from inspect_flow import _output
from inspect_flow._errors import WriteConflictError, one_line
from inspect_flow._logs import locations as paths
from inspect_flow._logs.format import ziptail
from inspect_flow._logs.local.files import local_token
from inspect_flow._logs.s3 import client as s3
from inspect_flow._logs.session import Session, Token

if TYPE_CHECKING:
    from inspect_ai.log import EvalLog

WHOLE_OBJECT_BYTES = ziptail.TAIL_BYTES


@dataclass
class ReadResult:
    """Headers read, in input order, and the locations that could not be read.

    Attributes:
        logs: Header-only EvalLogs (``samples`` is None), ``location`` set to the URI read.
        errors: Location → one-line reason, for every log that could not be read.
    """

    logs: list[EvalLog] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)


def read_headers(
    locations: Sequence[str], description: str = "Reading logs", session: Session | None = None
) -> ReadResult:
    """Read the headers of many logs concurrently.

    Unreadable logs (corrupt, truncated, vanished, not a log) are reported in ``errors`` and never
    modified.

    Args:
        locations: Log URIs (see ``expand_paths``).
        description: The progress bar's label.
        session: The run the read belongs to: each header read records the log's version token
            there for later conditional writes. Without one the read gets its own short-lived
            session (a ``check`` or ``list`` call that keeps nothing).
    """
    if session is None:
        with Session() as own:
            return read_headers(locations, description, own)
    results: dict[str, EvalLog | str] = {}

    def keep(loc: str, outcome: tuple[EvalLog, Token] | str) -> None:
        # States are recorded here, in the caller's thread, so they land in the caller's scope.
        if isinstance(outcome, str):
            results[loc] = outcome
        else:
            log, token = outcome
            session.remember(log, token)
            results[loc] = log

    local = [loc for loc in locations if paths.is_local(loc)]
    remote = [loc for loc in locations if not paths.is_local(loc)]
    with _output.progress(description, len(locations)) as advance:
        if local:
            for loc, outcome in zip(local, _read_local_all(local, advance), strict=True):
                keep(loc, outcome)
        for loc in remote:
            if not paths.is_s3(loc):
                results[loc] = f"unsupported storage (only local and s3:// logs): {loc}"
        s3_locs = [loc for loc in remote if paths.is_s3(loc)]
        if s3_locs:
            # Whole bodies are kept only by a step run's session, which may write them back
            # (and which drops what it did not use when it ends); check and list keep nothing.
            async def reader(location: str) -> tuple[EvalLog, Token]:
                return await _read_s3(location, session)

            outcomes = s3.run_all(reader, s3_locs)
            for loc, s3_outcome in zip(s3_locs, outcomes, strict=True):
                if isinstance(s3_outcome, BaseException):
                    keep(loc, one_line(s3_outcome))
                else:
                    keep(loc, s3_outcome)
                advance()
    result = ReadResult()
    for loc in locations:
        found = results[loc]
        if isinstance(found, str):
            result.errors[loc] = found
        else:
            result.logs.append(found)
    return result


def _read_local_all(
    locations: list[str], advance: Callable[[], None]
) -> list[tuple[EvalLog, Token] | str]:
    """Read local headers on one event loop (a fresh one in a worker if a loop is running here)."""

    async def read_all() -> list[tuple[EvalLog, Token] | str]:
        outcomes = []
        for location in locations:
            outcomes.append(await _read_local(location))
            advance()
        return outcomes

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(read_all())
    with ThreadPoolExecutor(max_workers=1) as pool:  # e.g. called from Jupyter
        return pool.submit(asyncio.run, read_all()).result()


async def _read_local(location: str) -> tuple[EvalLog, Token] | str:
    from inspect_ai.log import read_eval_log_async

    path = paths.local_path(location)
    try:
        # Token first: if the file changes while we read, the stale token makes our write a
        # conflict (safe) rather than a lost update.
        token = local_token(path)
        if path.endswith(".eval"):
            with open(path, "rb") as f:
                log = await read_eval_log_async(f, header_only=True, format="eval")
        else:
            log = await read_eval_log_async(path, header_only=True)
        if path.endswith(".json"):
            with open(path, "rb") as f:
                f.seek(max(0, token[0] - _TAIL_BYTES))
                _check_json_tail(f.read())
    except FileNotFoundError:
        return "file not found"
    except Exception as exc:  # corrupt/truncated/not a log: reported, never modified
        return _reason(exc)
    log.location = location
    return log, token


async def _read_s3(location: str, session: Session) -> tuple[EvalLog, Token]:
    try:
        return await _read_s3_once(location, session)
    except WriteConflictError:
        # replaced between the tail GET and a conditional member GET: read the new version
        return await _read_s3_once(location, session)


async def _read_s3_once(location: str, session: Session) -> tuple[EvalLog, Token]:
    from inspect_ai.log import read_eval_log_async

    fmt: Literal["eval", "json"] = "json" if location.endswith(".json") else "eval"
    body, etag, total = await s3.get_object(location, f"bytes=-{WHOLE_OBJECT_BYTES}")
    if fmt == "json":
        _check_json_tail(body)
    if len(body) >= total:
        log = await read_eval_log_async(io.BytesIO(body), header_only=True, format=fmt)
        session.put_body(location, etag, body)
    elif fmt == "eval":
        sparse = ziptail.Sparse(total)
        sparse.add(total - len(body), body)
        try:
            log, end = await ziptail.read_header(location, etag, sparse)
        except ziptail.TooManyRangesError:  # members scattered far from the end: read them all
            log = await read_eval_log_async(location, header_only=True)
            etag = log.etag or etag
        else:
            # where the unchanged part ends, for a multipart header write
            session.remember_end(location, etag, end)
    else:
        log = await read_eval_log_async(location, header_only=True)
        etag = log.etag or etag
    log.location = location
    log.etag = etag
    return log, etag


_TAIL_BYTES = 64


class TruncatedLogError(Exception):
    """A ``.json`` log whose header reads (it comes first) but whose end is missing."""


def _check_json_tail(tail: bytes) -> None:
    # inspect_ai streams a .json header from the start of the file, so a log cut short (a partial
    # upload or write) still yields a header; rewriting it would then fail. Its last byte tells.
    if not tail.rstrip().endswith(b"}"):
        raise TruncatedLogError("truncated .json log (the file does not end with '}')")


def _reason(exc: BaseException) -> str:
    text = one_line(exc)
    return f"{type(exc).__name__}: {text}" if text != type(exc).__name__ else text
