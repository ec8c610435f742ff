"""Header edits of large ``.eval`` logs on S3 cost O(header), not O(object).

What moto (5.2.5) lets us check, and what it does not: moto enforces ``If-Match`` on GET, HEAD and
PUT, but ignores ``x-amz-copy-source-if-match`` on ``UploadPartCopy`` and ``If-Match`` on
``CompleteMultipartUpload``. So these tests check that we *send* those two conditions (in the
recorded requests), and that our own guards — the conditional GET at staging and the conditional
HEAD right before completing — turn a concurrent change into a conflict with nothing written.
"""

from __future__ import annotations

import asyncio
import io
import zipfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from helpers import logs as logs_helper
from helpers.cli import flow_cli
from helpers.logs import LogFactory, LogSpec, generate_log, read_header
from helpers.s3 import RequestLog, S3Request, split_s3_uri, upload_file
from inspect_ai.log import EvalLog, ProvenanceData, TagsEdit, edit_eval_log, read_eval_log

from inspect_flow import step
from inspect_flow._logs import Session, cleanup, commit_batch, read_headers
from inspect_flow._logs.format import ziptail
from inspect_flow._logs.s3 import client as s3
from inspect_flow._logs.s3 import parts as s3parts
from inspect_flow._logs.s3 import read as s3_read
from inspect_flow._logs.s3 import tail as s3edit
from inspect_flow.api import CommitError, run_step, tag

MIB = 1024 * 1024


def start_dir(data: bytes) -> int:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.start_dir


@pytest.fixture(scope="module")
def big_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real ~12 MiB log: its samples (before the central directory) hold two 5 MiB parts."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(logs_helper, "BIG_TARGET_BYTES", 12 * MIB)
        path = generate_log(tmp_path_factory.mktemp("big"), LogSpec(big=True, samples=3))
    assert start_dir(path.read_bytes()) > 10.5 * MIB
    return path


@pytest.fixture
def big_uri(big_log: Path, s3_bucket: str, s3_client: Any) -> str:
    return upload_file(big_log, f"{s3_bucket}/logs/", s3_client)


def fetch(client: Any, uri: str) -> tuple[bytes, str]:
    bucket, key = split_s3_uri(uri)
    response = client.get_object(Bucket=bucket, Key=key)
    return response["Body"].read(), str(response["ETag"]).strip('"')


def uploads_left(client: Any, uri: str) -> list[Any]:
    return list(client.list_multipart_uploads(Bucket=split_s3_uri(uri)[0]).get("Uploads", []))


def tagged_copy(data: bytes, tmp_path: Path, name: str) -> bytes:
    """Another writer's version of a log: inspect_ai's own header edit adding tag ``name``."""
    from inspect_ai.log import write_eval_log

    local = tmp_path / f"{name}.eval"
    local.write_bytes(data)
    header = read_header(local)
    edited = edit_eval_log(header, [TagsEdit(tags_add=[name])], ProvenanceData(author=name))
    write_eval_log(edited, str(local), header_only=True)
    return local.read_bytes()


def requested_bytes(request: S3Request, total: int) -> int:
    """Bytes a GET asked for (the whole object when it has no Range)."""
    spec = request.headers.get("Range", "")
    if not spec:
        return total
    first, _, last = spec.removeprefix("bytes=").partition("-")
    if not first:
        return min(int(last), total)
    return min(int(last), total - 1) - int(first) + 1


# ----------------------------------------------------------------------------- primitives


@pytest.mark.parametrize("keep", [5 * MIB, 5 * 1024 * MIB, 5 * 1024 * MIB + 1, 5 * 1024**4 - 1])
def test_copy_parts_respect_s3_part_sizes(keep: int) -> None:
    parts = s3parts.copy_ranges(keep)
    assert parts[0].start == 0 and parts[-1].stop == keep
    assert all(a.stop == b.start for a, b in zip(parts, parts[1:], strict=False))
    assert all(s3parts.MIN_PART_BYTES <= len(p) <= s3parts.MAX_COPY_PART_BYTES for p in parts)
    assert len(parts) < 10_000  # S3's limit, with one part left for the tail


def test_sparse_reads_only_what_was_fetched() -> None:
    sparse = ziptail.Sparse(100)
    sparse.add(90, b"x" * 10)
    sparse.add(40, b"y" * 10)
    sparse.add(50, b"z" * 5)  # adjacent: merged, so a read across the seam works
    assert sparse.get(45, 55) == b"yyyyyzzzzz"
    with pytest.raises(ziptail.MissingBytesError):
        sparse.get(50, 60)
    assert sparse.hole(40, 100) == (55, 90)
    reader = sparse.reader()
    reader.seek(-10, io.SEEK_END)
    assert reader.read(20) == b"x" * 10 and reader.read(1) == b""


# ----------------------------------------------------------------------------------- reads


@pytest.mark.parametrize("tail", [1 << 20, 1024, 100], ids=["1MiB", "1KiB", "100B"])
def test_header_read_from_the_tail_equals_inspects(
    big_uri: str,
    big_log: Path,
    s3_client: Any,
    s3_requests: RequestLog,
    tail: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(s3_read, "WHOLE_OBJECT_BYTES", tail)
    _, etag = fetch(s3_client, big_uri)
    key = split_s3_uri(big_uri)[1]
    s3_requests.clear()

    result = read_headers([big_uri])

    assert result.errors == {}
    ours = result.logs[0]
    gets = s3_requests.filter("GET", key=key)
    assert gets and all("Range" in r.headers for r in gets), s3_requests.summary()
    size = big_log.stat().st_size
    # 1 MiB holds header and directory: one GET. Smaller tails: the missing members (header,
    # reductions; with 100 bytes the directory too) by ranged GETs conditional on the ETag.
    if tail == 1 << 20:
        assert len(gets) == 1, s3_requests.summary()
    else:
        assert 2 <= len(gets) <= 4, s3_requests.summary()
    assert sum(requested_bytes(r, size) for r in gets) < 2 * MIB
    assert all(r.headers.get("If-Match") == f'"{etag}"' for r in gets[1:])
    theirs = read_eval_log(big_uri, header_only=True)
    assert ours.model_dump(exclude={"etag"}) == theirs.model_dump(exclude={"etag"})
    assert ours.etag == etag and ours.samples is None


def test_header_read_of_a_started_log_from_its_journal(
    make_logs: LogFactory,
    tmp_path: Path,
    s3_bucket: str,
    s3_requests: RequestLog,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # no header.json: inspect_ai reads _journal/start.json, the archive's first member
    local = make_logs(tmp_path, n=1, status="started")[0]
    uri = upload_file(local, f"{s3_bucket}/logs/")
    monkeypatch.setattr(s3_read, "WHOLE_OBJECT_BYTES", 256)
    s3_requests.clear()

    result = read_headers([uri])

    assert result.errors == {}
    assert s3_requests.count("GET") >= 2  # the tail, then the journal member
    theirs = read_eval_log(uri, header_only=True)
    assert result.logs[0].model_dump(exclude={"etag"}) == theirs.model_dump(exclude={"etag"})
    assert result.logs[0].status == "started"


def test_log_replaced_between_tail_and_member_reads_is_read_again(
    big_uri: str, s3_client: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(s3_read, "WHOLE_OBJECT_BYTES", 1024)  # header.json needs a 2nd GET
    data, old_etag = fetch(s3_client, big_uri)
    theirs = tagged_copy(data, tmp_path, "theirs")
    bucket, key = split_s3_uri(big_uri)
    original = s3.get_object
    calls: list[str | None] = []

    async def meddling_get(
        location: str, byte_range: str | None = None, if_match: str | None = None
    ) -> Any:
        calls.append(if_match)
        if if_match and len(calls) == 2:  # between our tail GET and the member GET
            await asyncio.to_thread(s3_client.put_object, Bucket=bucket, Key=key, Body=theirs)
        return await original(location, byte_range, if_match)

    monkeypatch.setattr(s3, "get_object", meddling_get)
    result = read_headers([big_uri])

    # Offsets from the old directory applied to the new object would have read the old header:
    # the conditional GET failed instead, and the whole read was done again on the new version.
    assert result.errors == {}
    log = result.logs[0]
    assert log.tags == ["theirs"]
    assert log.etag == fetch(s3_client, big_uri)[1] != old_etag


# ---------------------------------------------------------------------------------- writes


@pytest.mark.parametrize("copy_parts", [1, 2])
def test_large_header_edit_keeps_the_samples_on_the_server(
    big_uri: str,
    s3_client: Any,
    s3_requests: RequestLog,
    copy_parts: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before, etag = fetch(s3_client, big_uri)
    keep = start_dir(before)
    if copy_parts == 2:  # as S3's 5 GiB cap on a copied part does to objects above 5 GiB
        monkeypatch.setattr(s3parts, "MAX_COPY_PART_BYTES", keep // 2 + 1)
    key = split_s3_uri(big_uri)[1]
    s3_requests.clear()

    report = run_step(tag, big_uri, add=["reviewed"], author="me")

    assert [e.status for e in report.logs] == ["written"]
    mine = s3_requests.filter(key=key)
    gets = [r for r in mine if r.method == "GET"]
    assert all(requested_bytes(r, len(before)) < 2 * MIB for r in gets), s3_requests.summary()
    puts = [r for r in mine if r.method == "PUT"]
    assert all("uploadId=" in r.query for r in puts), "a whole-object PUT"
    copies = [r for r in puts if r.is_copy]
    assert len(copies) == copy_parts
    assert all(r.headers.get("X-Amz-Copy-Source-If-Match") == f'"{etag}"' for r in copies)
    assert sum(int(r.headers.get("Content-Length", 0)) for r in mine) < 64 * 1024
    completes = [r for r in mine if r.method == "POST" and "uploadId=" in r.query]
    assert [r.headers.get("If-Match") for r in completes] == [f'"{etag}"']
    assert any(r.method == "HEAD" and r.headers.get("If-Match") == f'"{etag}"' for r in mine)

    after, new_etag = fetch(s3_client, big_uri)
    assert after[:keep] == before[:keep]  # every sample member byte-identical, in place
    with zipfile.ZipFile(io.BytesIO(after)) as archive:
        assert archive.testzip() is None  # every member's CRC checks out
    full = read_eval_log(big_uri)
    assert full.tags == ["reviewed"] and full.samples is not None and len(full.samples) == 3
    assert full.samples == read_eval_log(io.BytesIO(before)).samples
    assert uploads_left(s3_client, big_uri) == []
    assert new_etag != etag


def test_a_second_edit_in_the_same_run_uses_the_new_etag(
    big_uri: str, s3_client: Any, s3_requests: RequestLog
) -> None:
    with Session(keep_bodies=True) as session:
        log = read_headers([big_uri], session=session).logs[0]
        first = edit_eval_log(log, [TagsEdit(tags_add=["a"])], ProvenanceData(author="me"))
        assert [o.status for o in commit_batch([first], [], session)] == ["written"]
        first_etag = first.etag
        s3_requests.clear()
        second = edit_eval_log(first, [TagsEdit(tags_add=["b"])], ProvenanceData(author="me"))
        # no self-conflict
        assert [o.status for o in commit_batch([second], [], session)] == ["written"]
    # the second stage knew the new object's directory offset: one small conditional GET of it
    gets = s3_requests.filter("GET", key=split_s3_uri(big_uri)[1])
    assert [r.headers.get("If-Match") for r in gets] == [f'"{first_etag}"']
    assert gets[0].response_bytes < 64 * 1024
    assert read_header(big_uri).tags == ["a", "b"]
    assert second.etag == fetch(s3_client, big_uri)[1] != first_etag
    assert uploads_left(s3_client, big_uri) == []


def test_second_edit_of_a_small_log_in_a_run_gets_it_once(
    make_logs: LogFactory, tmp_path: Path, s3_bucket: str, s3_requests: RequestLog
) -> None:
    # the read's cached body is used by the first write; the second fetches the object once
    uri = upload_file(make_logs(tmp_path, n=1)[0], f"{s3_bucket}/logs/")
    with Session(keep_bodies=True) as session:
        log = read_headers([uri], session=session).logs[0]
        first = edit_eval_log(log, [TagsEdit(tags_add=["a"])], ProvenanceData(author="me"))
        commit_batch([first], [], session)
        s3_requests.clear()
        second = edit_eval_log(first, [TagsEdit(tags_add=["b"])], ProvenanceData(author="me"))
        assert [o.status for o in commit_batch([second], [], session)] == ["written"]
    key = split_s3_uri(uri)[1]
    assert s3_requests.count("GET", key=key) == 1, s3_requests.summary()
    assert s3_requests.count("PUT", key=key) == 1
    assert read_header(uri).tags == ["a", "b"]


def test_truncated_large_log_is_unreadable_and_untouched(
    big_log: Path, tmp_path: Path, s3_bucket: str, s3_client: Any
) -> None:
    cut = tmp_path / big_log.name
    cut.write_bytes(big_log.read_bytes()[: 6 * MIB])  # a partial upload: no central directory
    uri = upload_file(cut, f"{s3_bucket}/logs/", s3_client)

    report = run_step(tag, uri, add=["x"], author="me")

    assert [e.status for e in report.logs] == ["unreadable"]
    assert fetch(s3_client, uri)[0] == cut.read_bytes()


def test_small_prefix_keeps_the_whole_object_get_and_put(
    big_uri: str, s3_client: Any, s3_requests: RequestLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(s3parts, "MIN_PART_BYTES", 64 * MIB)  # as for a 2-5 MiB log
    key = split_s3_uri(big_uri)[1]
    s3_requests.clear()

    report = run_step(tag, big_uri, add=["x"], author="me")

    assert [e.status for e in report.logs] == ["written"]
    assert s3_requests.count("PUT", key=key) == 1 and not s3_requests.filter(
        key=key, predicate=lambda r: "uploadId" in r.query or "uploads" in r.query
    )
    assert read_eval_log(big_uri).tags == ["x"]


MEDDLE: list[Callable[[], None]] = []


@step
def tag_then_meddle(logs: list[EvalLog]) -> list[EvalLog]:
    edited = tag(logs, add=["ours"], author="me")  # deferred: written when the step returns
    for meddle in MEDDLE:
        meddle()
    return edited


def test_change_between_read_and_stage_is_a_conflict(
    big_uri: str, s3_client: Any, s3_requests: RequestLog, tmp_path: Path
) -> None:
    bucket, key = split_s3_uri(big_uri)
    theirs = tagged_copy(fetch(s3_client, big_uri)[0], tmp_path, "theirs")
    MEDDLE[:] = [lambda: s3_client.put_object(Bucket=bucket, Key=key, Body=theirs)]
    s3_requests.clear()
    try:
        with pytest.raises(CommitError) as info:
            run_step(tag_then_meddle, big_uri)
    finally:
        MEDDLE.clear()

    assert [e.status for e in info.value.report.logs] == ["conflict"]
    assert fetch(s3_client, big_uri)[0] == theirs
    # caught by the conditional GET of the old tail, before any upload was started
    assert not s3_requests.filter(key=key, predicate=lambda r: "uploads" in r.query)
    assert uploads_left(s3_client, big_uri) == []


def _wrap_commit(
    monkeypatch: pytest.MonkeyPatch,
    before: Callable[[s3edit.TailEdit], Awaitable[None]],
) -> None:
    original = s3edit.commit

    async def commit(edit: s3edit.TailEdit, session: Session) -> str:
        await before(edit)
        return await original(edit, session)

    monkeypatch.setattr(s3edit, "commit", commit)


def test_change_after_staging_is_caught_before_completing(
    big_uri: str, s3_client: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # moto would complete the upload over the other writer's version (it ignores If-Match on
    # CompleteMultipartUpload and the copy condition): our HEAD If-Match must catch it.
    bucket, key = split_s3_uri(big_uri)
    theirs = tagged_copy(fetch(s3_client, big_uri)[0], tmp_path, "theirs")

    async def meddle(edit: s3edit.TailEdit) -> None:
        await asyncio.to_thread(s3_client.put_object, Bucket=bucket, Key=key, Body=theirs)

    _wrap_commit(monkeypatch, meddle)
    with pytest.raises(CommitError) as info:
        run_step(tag, big_uri, add=["ours"], author="me")

    assert [e.status for e in info.value.report.logs] == ["conflict"]
    assert fetch(s3_client, big_uri)[0] == theirs
    assert uploads_left(s3_client, big_uri) == []


def test_rollback_of_a_multipart_write_restores_the_old_object(
    big_log: Path,
    s3_bucket: str,
    s3_client: Any,
    s3_requests: RequestLog,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first, second = (upload_file(big_log, f"{s3_bucket}/{d}/", s3_client) for d in ("a", "b"))
    before = {u: fetch(s3_client, u)[0] for u in (first, second)}
    first_done: dict[str, asyncio.Event] = {}

    async def fail_second_after_first(edit: s3edit.TailEdit) -> None:
        done = first_done.setdefault("event", asyncio.Event())
        if edit.location == second:
            await done.wait()
            raise OSError("injected: connection reset")

    original = s3edit.commit

    async def commit(edit: s3edit.TailEdit, session: Session) -> str:
        await fail_second_after_first(edit)
        try:
            return await original(edit, session)
        finally:
            first_done.setdefault("event", asyncio.Event()).set()

    monkeypatch.setattr(s3edit, "commit", commit)
    s3_requests.clear()
    with pytest.raises(CommitError) as info:
        run_step(tag, [first, second], add=["ours"], author="me")

    statuses = {e.location: e.status for e in info.value.report.logs}
    assert statuses == {first: "not written", second: "failed"}
    for uri in (first, second):
        assert fetch(s3_client, uri)[0] == before[uri]  # the old bytes exactly
    key = split_s3_uri(first)[1]
    # written (one copy), then put back the same way (another copy), never a whole PUT
    copies = s3_requests.filter("PUT", key=key, predicate=lambda r: r.is_copy)
    assert len(copies) == 2, s3_requests.summary()
    assert not s3_requests.filter("PUT", key=key, predicate=lambda r: "uploadId" not in r.query)
    full = read_eval_log(first)
    assert full.tags == [] and full.samples is not None and len(full.samples) == 3
    assert uploads_left(s3_client, first) == []


@pytest.mark.parametrize("failing", ["upload_part", "upload_part_copy", "head_object"])
def test_failure_mid_upload_aborts_and_changes_nothing(
    big_uri: str,
    s3_client: Any,
    s3_requests: RequestLog,
    failing: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = fetch(s3_client, big_uri)
    original = s3parts._call

    async def call(operation: str, location: str, **kwargs: Any) -> Any:
        if operation == failing:
            raise OSError(f"injected failure of {operation}")
        return await original(operation, location, **kwargs)

    monkeypatch.setattr(s3parts, "_call", call)
    s3_requests.clear()
    with pytest.raises(CommitError) as info:
        run_step(tag, big_uri, add=["ours"], author="me")

    assert [e.status for e in info.value.report.logs] == ["failed"]
    assert fetch(s3_client, big_uri) == before  # bytes and ETag
    aborts = s3_requests.filter("DELETE", predicate=lambda r: "uploadId=" in r.query)
    assert len(aborts) == 1, s3_requests.summary()
    assert uploads_left(s3_client, big_uri) == []


# -------------------------------------------------------------- uploads of interrupted runs


def start_upload(client: Any, uri: str, part: bytes = b"") -> str:
    """Create a multipart upload of ``uri`` and leave it incomplete, as a killed run does."""
    bucket, key = split_s3_uri(uri)
    upload_id = str(client.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"])
    if part:  # its parts are stored (and billed) until it is aborted
        client.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=1, Body=part)
    return upload_id


def listings_of_uploads(requests: RequestLog, bucket: str) -> list[S3Request]:
    return requests.filter(
        "GET", bucket=bucket, key="", predicate=lambda r: "uploads" in r.query.split("&")[0]
    )


def test_an_interrupted_runs_upload_is_aborted_by_the_next_large_edit(
    big_uri: str, s3_client: Any, s3_requests: RequestLog
) -> None:
    bucket, key = split_s3_uri(big_uri)
    # moto reports every upload as initiated on 2010-11-10: this one is long past the hour
    stale = start_upload(s3_client, big_uri, part=b"x" * 1024)
    others = {  # the same prefix but another key, and another key: not this edit's business
        start_upload(s3_client, big_uri + ".part"),
        start_upload(s3_client, f"s3://{bucket}/elsewhere.eval"),
    }
    s3_requests.clear()

    result = flow_cli("step", "tag", big_uri, "--add", "x")

    assert result.code == 0, result
    assert [line for line in result.err_lines() if "leftover" in line] == [
        f"ℹ Aborted 1 leftover multipart upload of an interrupted run of {big_uri}"
    ]
    listings = listings_of_uploads(s3_requests, bucket)
    assert len(listings) == 1, s3_requests.summary()  # one request per large edit
    assert f"prefix={quote(key, safe='')}" in listings[0].query
    aborts = s3_requests.filter("DELETE", key=key)
    assert [r.query for r in aborts] == [f"uploadId={stale}"], s3_requests.summary()
    assert {u["UploadId"] for u in uploads_left(s3_client, big_uri)} == others
    full = read_eval_log(big_uri)
    assert full.tags == ["x"] and full.samples is not None and len(full.samples) == 3


def test_a_recent_upload_of_the_key_is_kept(
    big_uri: str, s3_client: Any, s3_requests: RequestLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    # moto dates every upload 2010-11-10; a threshold longer than that makes it recent, as
    # another process's edit in progress is
    monkeypatch.setattr(cleanup, "STALE_UPLOAD_SECONDS", 100 * 365 * 24 * 3600)
    live = start_upload(s3_client, big_uri)
    s3_requests.clear()

    report = run_step(tag, big_uri, add=["x"], author="me")

    assert [e.status for e in report.logs] == ["written"]
    assert len(listings_of_uploads(s3_requests, split_s3_uri(big_uri)[0])) == 1
    assert not s3_requests.filter("DELETE")
    assert [u["UploadId"] for u in uploads_left(s3_client, big_uri)] == [live]


def test_an_edit_does_not_depend_on_listing_uploads(
    big_uri: str, s3_client: Any, s3_requests: RequestLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    # e.g. s3:ListBucketMultipartUploads not granted: housekeeping is skipped, quietly
    async def denied(location: str, older_than: float) -> list[s3parts.Upload]:
        raise PermissionError("injected: AccessDenied")

    monkeypatch.setattr(s3parts, "stale_uploads", denied)
    stale = start_upload(s3_client, big_uri)

    result = flow_cli("step", "tag", big_uri, "--add", "x")

    assert result.code == 0, result
    assert not [line for line in result.err_lines() if "leftover" in line or "⚠" in line]
    assert [u["UploadId"] for u in uploads_left(s3_client, big_uri)] == [stale]
    assert read_eval_log(big_uri).tags == ["x"]
