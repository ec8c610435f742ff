"""Our S3 client answers as botocore would, more cheaply: the timestamps of responses are parsed
without ``dateutil`` (the same UTC datetimes), and the User-Agent is built once (botocore's own)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from helpers.logs import LogFactory
from helpers.s3 import RequestLog, split_s3_uri, upload_dir

from inspect_flow._logs.s3 import client


@pytest.mark.parametrize(
    "value",
    [
        "Sat, 05 Dec 2026 23:11:22 GMT",  # response headers (GET, HEAD)
        "Mon, 01 Jan 2024 00:00:00 GMT",
        "2026-12-05T23:11:22.000Z",  # XML bodies (listings, CopyObject)
        "2026-12-05T23:11:22Z",
        "2026-12-05T23:11:22.123456Z",
        "2026-12-05T23:11:22+01:00",  # not S3's forms: botocore's parser
        "1700000000",
    ],
)
def test_timestamps_parse_as_botocore_parses_them(value: str) -> None:
    from botocore.utils import parse_timestamp

    ours, theirs = client.parse_timestamp(value), parse_timestamp(value)
    assert ours == theirs
    assert ours.utcoffset() == theirs.utcoffset()


def test_listing_and_head_times_are_botocores(
    make_logs: LogFactory, tmp_path: Path, s3_bucket: str, s3_client: Any
) -> None:
    make_logs(tmp_path / "logs", n=3, samples=1)
    locations = upload_dir(tmp_path / "logs", f"{s3_bucket}/logs")
    bucket, _ = split_s3_uri(s3_bucket)
    listed = s3_client.list_objects_v2(Bucket=bucket, Prefix="logs/")["Contents"]
    expected = {f"{bucket}/{o['Key']}": o["LastModified"] for o in listed}

    fs = client.s3_filesystem()
    fs.invalidate_cache()
    found = {
        name: info["LastModified"] for name, info in fs.find(f"{bucket}/logs", detail=True).items()
    }

    assert found == expected and len(found) == len(locations)
    for location in locations:
        bucket, key = split_s3_uri(location)
        head = client.run(fs._call_s3("head_object", Bucket=bucket, Key=key))
        assert head["LastModified"] == s3_client.head_object(Bucket=bucket, Key=key)["LastModified"]


def test_requests_carry_botocores_user_agent(
    make_logs: LogFactory, tmp_path: Path, s3_bucket: str, s3_requests: RequestLog
) -> None:
    from botocore.useragent import UserAgentString

    make_logs(tmp_path / "logs", n=2, samples=1)
    locations = upload_dir(tmp_path / "logs", f"{s3_bucket}/logs")
    s3_requests.clear()

    for location in locations:
        client.run(client.get_object(location, "bytes=-1024"))
    client.run(client.head(locations[0]))

    agents = {r.headers.get("User-Agent", "") for r in s3_requests.requests}
    # one string for every request (s3fs appends its extra to it), botocore's own
    assert len(agents) == 1, agents
    assert agents.pop().startswith(UserAgentString.from_environment().to_string())
