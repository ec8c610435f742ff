"""Replace the end of an S3 object without moving the rest of it (multipart upload with copy).

The new object is assembled by a multipart upload: ``UploadPartCopy`` parts copy the unchanged
prefix server-side from the current object (``x-amz-copy-source-if-match``: only from the version
we read), one ``UploadPart`` carries the new tail. Nothing is visible until
``CompleteMultipartUpload``, which is sent with ``If-Match`` so that S3 replaces only the version we
read. Before completing, a ``HEAD`` with ``If-Match`` checks the same thing once more: a store that
ignores the conditions above (moto ignores both) still reports a change made before that check.
Every failure before completion aborts the upload, so the object is never touched.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from inspect_flow._errors import WriteConflictError, one_line
from inspect_flow._logs.s3 import client as s3
from inspect_flow._logs.s3.client import s3_filesystem

if TYPE_CHECKING:
    from inspect_flow._logs.cleanup import CleanupReport

# S3 limits: every part but the last is at least 5 MiB; a copied part is at most 5 GiB.
MIN_PART_BYTES = 5 * 1024 * 1024
MAX_COPY_PART_BYTES = 5 * 1024 * 1024 * 1024


@dataclass
class Upload:
    """A multipart upload that is staged but not completed.

    Attributes:
        location: The ``s3://`` URI the upload replaces when completed.
        upload_id: S3's id of the upload.
        parts: ``PartNumber``/``ETag`` of each part, in order.
    """

    location: str
    upload_id: str
    parts: list[dict[str, Any]] = field(default_factory=list)


def copy_ranges(keep: int) -> list[range]:
    """Split ``keep`` leading bytes into as few copy parts as S3 allows, of near-equal size."""
    count = -(-keep // MAX_COPY_PART_BYTES)
    size = -(-keep // count)
    return [range(start, min(start + size, keep)) for start in range(0, keep, size)]


async def _call(operation: str, location: str, **kwargs: Any) -> Any:
    bucket, key = s3.split(location)
    try:
        return await s3_filesystem()._call_s3(operation, Bucket=bucket, Key=key, **kwargs)
    except Exception as exc:
        raise s3.translate(exc, location) from exc


async def stage(
    location: str,
    keep: int,
    tail: bytes,
    if_match: str | None,
    source: str | None = None,
    report: CleanupReport | None = None,
) -> Upload:
    """Stage the object made of the first ``keep`` bytes of ``source`` followed by ``tail``.

    Args:
        location: ``s3://`` URI of the object the upload makes.
        keep: Leading bytes copied server-side; at least :data:`MIN_PART_BYTES`, or the whole
            source (a copy: its only copied part may be smaller), or 0 (no copied part).
        tail: The bytes that follow them (may be empty when ``keep`` > 0).
        if_match: The ETag the copied bytes must come from (None: any version).
        source: The object the copied bytes come from (default: ``location``).
        report: Where a failed abort is noted.

    Returns:
        The staged upload, to :func:`complete` or :func:`abort`.

    Raises:
        WriteConflictError: The object is no longer at version ``if_match`` (on stores that check
            copy conditions).
    """
    if 0 < keep < MIN_PART_BYTES and tail:
        raise ValueError(f"a copied part must be at least {MIN_PART_BYTES} bytes, not {keep}")
    response = await _call("create_multipart_upload", location)
    upload = Upload(location, str(response["UploadId"]))
    bucket, key = s3.split(source or location)
    ranges = copy_ranges(keep) if keep else []
    condition = {"CopySourceIfMatch": f'"{if_match}"'} if if_match else {}

    async def copy_part(number: int, part: range) -> str:
        copied = await _call(
            "upload_part_copy",
            location,
            UploadId=upload.upload_id,
            PartNumber=number,
            CopySource={"Bucket": bucket, "Key": key},
            CopySourceRange=f"bytes={part.start}-{part.stop - 1}",
            **condition,
        )
        return str(copied["CopyPartResult"]["ETag"])

    async def send_tail(number: int) -> str:
        sent = await _call(
            "upload_part", location, UploadId=upload.upload_id, PartNumber=number, Body=tail
        )
        return str(sent["ETag"])

    # The parts are independent: one round trip for all of them, not one each.
    jobs = [copy_part(n, part) for n, part in enumerate(ranges, start=1)]
    if tail or not jobs:
        jobs.append(send_tail(len(ranges) + 1))
    try:
        outcomes = await asyncio.gather(*jobs, return_exceptions=True)
    except BaseException:  # cancelled (Ctrl+C): the object is untouched; drop the parts
        await abort(upload, report)
        raise
    failed = [o for o in outcomes if isinstance(o, BaseException)]
    if failed:  # every part request has ended: nothing can land after the abort
        await abort(upload, report)
        if isinstance(failed[0], Exception) and source:
            raise s3.translate(failed[0], source) from failed[0]
        raise failed[0]
    upload.parts = [{"PartNumber": n, "ETag": e} for n, e in enumerate(outcomes, start=1)]
    return upload


async def complete(
    upload: Upload, if_match: str | None, absent: bool = False, report: CleanupReport | None = None
) -> str:
    """Make the staged object visible if the object is still at version ``if_match``.

    The upload is aborted when this fails, so the object is left as it was.

    Args:
        upload: The staged upload.
        if_match: Only replace this version of the object (None: no version condition).
        absent: Only create the object (it must not exist); a conflict otherwise.
        report: Where a failed abort is noted.

    Returns:
        The new object's ETag (without quotes).

    Raises:
        WriteConflictError: The object changed since version ``if_match``.
        LogVanishedError: The object no longer exists.
    """
    conditions: dict[str, str] = {}
    try:
        if if_match:
            await _call("head_object", upload.location, IfMatch=f'"{if_match}"')
            conditions["IfMatch"] = f'"{if_match}"'
        if absent:
            if await s3.head_etag(upload.location) is not None:
                raise WriteConflictError(
                    f"A log appeared at the destination since it was planned: {upload.location}"
                )
            conditions["IfNoneMatch"] = "*"
        response = await _call(
            "complete_multipart_upload",
            upload.location,
            UploadId=upload.upload_id,
            MultipartUpload={"Parts": upload.parts},
            **conditions,
        )
    except BaseException:
        await abort(upload, report)
        raise
    return str(response["ETag"]).strip('"')


async def abort(upload: Upload, report: CleanupReport | None = None) -> bool:
    """Abort a staged upload (its parts are dropped; the object is untouched); never raises.

    Returns:
        False when it could not be aborted (``report`` notes it).
    """
    try:
        await _call("abort_multipart_upload", upload.location, UploadId=upload.upload_id)
    except Exception as exc:
        # The object does not depend on it; only its parts' storage is at stake.
        if report is not None:
            report.note(
                f"Could not abort multipart upload {upload.upload_id} of {upload.location} "
                f"({one_line(exc)}); a bucket lifecycle rule for incomplete uploads removes it"
            )
        return False
    return True


async def stale_uploads(location: str, older_than: float) -> list[Upload]:
    """Return the incomplete uploads of exactly ``location`` initiated ``older_than`` s ago or more.

    One ``ListMultipartUploads`` request. S3 lists uploads in key order, so those of the exact
    key come before those of longer keys sharing it as a prefix: the first page (up to 1000
    uploads) holds them unless a thousand uploads of this one key were abandoned, and the rest
    are found by later edits.
    """
    bucket, key = s3.split(location)
    response = await s3_filesystem()._call_s3("list_multipart_uploads", Bucket=bucket, Prefix=key)
    cutoff = datetime.now(timezone.utc) - timedelta(seconds=older_than)
    return [
        Upload(location, str(found["UploadId"]))
        for found in response.get("Uploads", [])
        if found.get("Key") == key
        and isinstance(found.get("Initiated"), datetime)
        and found["Initiated"] <= cutoff
    ]
