"""S3 header reads: one ranged GET of the object's last MiB, on the shared s3fs loop.

For the usual small log that GET is the whole object: a step run's session keeps its bytes on
local disk (not in memory) so a following header write needs no second download. For a larger
``.eval`` log those bytes hold its central directory and (inspect_ai writes it last)
``header.json``: inspect_ai reads the header from a sparse mirror of them (``format.ziptail``), and
a member outside them is fetched with one more ranged GET conditional on the ETag. Larger ``.json``
logs are read by inspect_ai's streaming reader.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

from inspect_flow._errors import WriteConflictError, one_line
from inspect_flow._logs.format import ziptail
from inspect_flow._logs.format.json_tail import check_json_tail
from inspect_flow._logs.s3 import client as s3
from inspect_flow._logs.session import Session, Token

if TYPE_CHECKING:
    from inspect_ai.log import EvalLog

WHOLE_OBJECT_BYTES = ziptail.TAIL_BYTES


def read_all(
    locations: list[str], session: Session, advance: Callable[[], None]
) -> list[tuple[EvalLog, Token] | str]:
    """Read S3 headers concurrently (bounded).

    Returns:
        Per location, in order: the header and its ETag, or why it could not be read.
    """

    async def reader(location: str) -> tuple[EvalLog, Token]:
        return await _read(location, session)

    found: list[tuple[EvalLog, Token] | str] = []
    for outcome in s3.run_all(reader, locations):
        found.append(one_line(outcome) if isinstance(outcome, BaseException) else outcome)
        advance()
    return found


async def _read(location: str, session: Session) -> tuple[EvalLog, Token]:
    try:
        return await _read_once(location, session)
    except WriteConflictError:
        # replaced between the tail GET and a conditional member GET: read the new version
        return await _read_once(location, session)


async def _read_once(location: str, session: Session) -> tuple[EvalLog, Token]:
    from inspect_ai.log import read_eval_log_async

    fmt: Literal["eval", "json"] = "json" if location.endswith(".json") else "eval"
    body, etag, total = await s3.get_object(location, f"bytes=-{WHOLE_OBJECT_BYTES}")
    if fmt == "json":
        check_json_tail(body)
    if len(body) >= total:
        log = await read_eval_log_async(io.BytesIO(body), header_only=True, format=fmt)
        # Kept only by a step run's session, which may write it back (and which drops what it
        # did not use when it ends); check and list keep nothing.
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
