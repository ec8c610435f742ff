"""S3 copies in requests: whether a destination exists comes from one listing of its folder (no
HEAD per destination), a small copy is one ``PUT If-None-Match: *`` of the bytes the header read
fetched, and that condition still refuses a destination that appears after the listing."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from helpers.logs import LogFactory, read_header
from helpers.s3 import RequestLog, list_keys, split_s3_uri, upload_dir

from inspect_flow.api import CommitError, copy, run_step

N = 12


@pytest.fixture
def s3_logs(make_logs: LogFactory, tmp_path: Path, s3_bucket: str) -> list[str]:
    make_logs(tmp_path / "logs", n=N - 2, samples=1)
    make_logs(tmp_path / "logs", n=2, samples=1, fmt="json")
    return upload_dir(tmp_path / "logs", f"{s3_bucket}/logs")


def _put(client: Any, location: str, body: bytes) -> None:
    bucket, key = split_s3_uri(location)
    client.put_object(Bucket=bucket, Key=key, Body=body)


def test_s3_copy_costs_two_requests_per_log(
    s3_logs: list[str], s3_bucket: str, s3_client: Any, s3_requests: RequestLog
) -> None:
    # other objects in and under the destination folder: the listing must not take them for ours
    _put(s3_client, f"{s3_bucket}/prod/aaa-unrelated.eval", b"x")
    _put(s3_client, f"{s3_bucket}/prod/zzz/deeper.eval", b"x")
    s3_requests.clear()

    report = run_step(copy, f"{s3_bucket}/logs", dest=f"{s3_bucket}/prod")

    assert sorted(e.status for e in report.logs) == ["copied"] * N
    names = {location.rsplit("/", 1)[1] for location in s3_logs}
    requests = s3_requests.requests
    per_log = [r for r in requests if r.key.rsplit("/", 1)[-1] in names]
    per_run = [r for r in requests if r not in per_log]  # listings, the source's folder check
    # one ranged GET (the header read, whole object) and one conditional PUT per log
    assert len(per_log) == 2 * N, s3_requests.summary()
    gets = [r for r in per_log if r.method == "GET"]
    puts = [r for r in per_log if r.method == "PUT"]
    assert len(gets) == N and all("Range" in r.headers for r in gets)
    assert len(puts) == N and all(r.headers.get("If-None-Match") == "*" for r in puts)
    # per run, not per log: finding the source's logs, and the destination folder listed at
    # planning (what to skip) and at staging (each destination's version)
    dest_lists = [r for r in per_run if "list-type=2" in r.query and "prefix=prod%2F" in r.query]
    assert len(dest_lists) == 2 and len(per_run) <= 5, s3_requests.summary()
    for location in s3_logs:
        name = location.rsplit("/", 1)[1]
        assert read_header(f"{s3_bucket}/prod/{name}").eval.eval_id == (
            read_header(location).eval.eval_id
        )
    assert f"{s3_bucket}/prod/aaa-unrelated.eval" not in {e.location for e in report.logs}


def test_existing_s3_destinations_are_found_by_listing(
    s3_logs: list[str], s3_bucket: str, s3_client: Any, s3_requests: RequestLog
) -> None:
    taken = s3_logs[0].rsplit("/", 1)[1]
    _put(s3_client, f"{s3_bucket}/prod/{taken}", b"theirs")
    s3_requests.clear()

    report = run_step(copy, f"{s3_bucket}/logs", dest=f"{s3_bucket}/prod")

    statuses = {e.location.rsplit("/", 1)[1]: e.status for e in report.logs}
    assert statuses.pop(taken) == "skipped"
    assert set(statuses.values()) == {"copied"}
    assert s3_requests.count("HEAD", key_prefix="prod/") == 0  # the listing said so
    assert s3_requests.count("PUT", key=f"prod/{taken}") == 0
    bucket, _ = split_s3_uri(s3_bucket)
    assert s3_client.get_object(Bucket=bucket, Key=f"prod/{taken}")["Body"].read() == b"theirs"


def test_a_destination_appearing_after_the_listing_is_a_conflict(
    s3_logs: list[str], s3_bucket: str, s3_client: Any, s3_requests: RequestLog
) -> None:
    """The listing decides what to skip; the PUT's If-None-Match still refuses a newcomer."""
    victim = f"{s3_bucket}/prod/{s3_logs[0].rsplit('/', 1)[1]}"
    victim_key = split_s3_uri(victim)[1]
    done = threading.Event()
    s3_requests.clear()

    def before(environ: dict[str, Any]) -> None:
        # another writer creates the destination just before our conditional PUT of it is served
        is_victim = environ["PATH_INFO"].endswith("/" + victim_key)
        if environ.get("HTTP_IF_NONE_MATCH") == "*" and is_victim and not done.is_set():
            done.set()
            _put(s3_client, victim, b"theirs")

    s3_requests.before = before
    with pytest.raises(CommitError) as info:
        run_step(copy, f"{s3_bucket}/logs", dest=f"{s3_bucket}/prod")

    assert done.is_set()
    statuses = {e.location: e.status for e in info.value.report.logs}
    assert statuses[victim] == "conflict"
    assert {s for loc, s in statuses.items() if loc != victim} == {"not written"}
    assert list_keys(s3_client, f"{s3_bucket}/prod/") == [victim_key]
    bucket, _ = split_s3_uri(s3_bucket)
    assert s3_client.get_object(Bucket=bucket, Key=victim_key)["Body"].read() == b"theirs"
