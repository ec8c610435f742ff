"""Tests of the test infrastructure: they document what the rest of the suite relies on.

* the session environment is isolated (data dirs, AWS/INSPECT variables) and offline;
* ``make_logs`` produces real inspect_ai logs of each status/format with the documented samples;
* ``.json`` logs with inspect-shaped names are listed by ``list_eval_logs``;
* corrupt and truncated logs fail to read;
* inspect_ai and s3fs really talk to the moto server (``AWS_ENDPOINT_URL``), headers read from
  ``s3://`` carry an ETag, and conditional writes with a stale ETag raise ``WriteConflictError``;
* what moto honours of S3's conditional requests.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from helpers.env import NetworkBlockedError, TestEnv
from helpers.logs import (
    BIG_TARGET_BYTES,
    ERROR_MESSAGE,
    LogFactory,
    read_header,
    read_log,
    sample_count,
)
from helpers.s3 import RequestLog, list_keys, split_s3_uri, upload_dir, upload_file
from inspect_ai.log import list_eval_logs, write_eval_log

# ------------------------------------------------------------------------------ environment


def test_env_is_isolated(test_env: TestEnv) -> None:
    import platformdirs

    root = test_env.root.resolve()
    assert Path(platformdirs.user_data_dir("inspect_flow")).resolve().is_relative_to(root)
    assert Path(platformdirs.user_data_dir("inspect_ai")).resolve().is_relative_to(root)
    assert Path(os.environ["INSPECT_LOG_DIR"]).resolve().is_relative_to(root)
    assert os.environ["AWS_ENDPOINT_URL"] == f"http://127.0.0.1:{test_env.s3_port}"
    assert os.environ["AWS_ACCESS_KEY_ID"] == "testing"
    assert "AWS_PROFILE" not in os.environ
    assert "AWS_ENDPOINT_URL_S3" not in os.environ
    assert not Path(os.environ["AWS_CONFIG_FILE"]).exists()


def test_network_is_blocked_in_process() -> None:
    with pytest.raises(NetworkBlockedError):
        socket.getaddrinfo("pypi.org", 443)
    with pytest.raises(NetworkBlockedError):
        socket.create_connection(("8.8.8.8", 53), timeout=1)
    # loopback stays reachable
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.create_connection(server.getsockname(), timeout=5):
            pass


def test_subprocesses_inherit_isolation(test_env: TestEnv) -> None:
    code = (
        "import json, os, platformdirs, urllib.request, urllib.error\n"
        "try:\n"
        "    urllib.request.urlopen('http://example.com/', timeout=5)\n"
        "    net = 'reached'\n"
        "except (urllib.error.URLError, OSError) as ex:\n"
        "    net = type(ex).__name__\n"
        "print(json.dumps({'data': platformdirs.user_data_dir('inspect_flow'),\n"
        "                  'endpoint': os.environ['AWS_ENDPOINT_URL'], 'net': net}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    result = json.loads(out.stdout)
    assert Path(result["data"]).resolve().is_relative_to(test_env.root.resolve())
    assert result["endpoint"] == test_env.s3_endpoint
    assert result["net"] != "reached"


# ------------------------------------------------------------------------------------- logs


@pytest.mark.parametrize("fmt", ["eval", "json"])
def test_make_logs_success(make_logs: LogFactory, tmp_path: Path, fmt: Any) -> None:
    paths = make_logs(tmp_path / "logs", n=4, fmt=fmt, samples=2)

    assert len(paths) == 4
    assert len({p.name for p in paths}) == 4
    assert all(p.parent == tmp_path / "logs" and p.suffix == f".{fmt}" for p in paths)
    assert [p.name for p in paths] == sorted(p.name for p in paths)  # names follow creation
    mtimes = [p.stat().st_mtime for p in paths]
    assert mtimes == sorted(set(mtimes))  # distinct and increasing
    for path in paths:
        header = read_header(path)
        assert header.status == "success"
        assert header.eval.task == "tiny"
        assert header.eval.model == "mockllm/model"
        assert header.results is not None and header.results.completed_samples == 2
        assert header.samples is None
    log = read_log(paths[0])
    assert log.samples is not None and len(log.samples) == 2
    assert [s.output.completion for s in log.samples] == ["2", "4"]
    assert all(s.error is None for s in log.samples)


@pytest.mark.parametrize("fmt", ["eval", "json"])
@pytest.mark.parametrize("status", ["error", "cancelled", "started"])
def test_make_logs_other_statuses(
    make_logs: LogFactory, tmp_path: Path, fmt: Any, status: Any
) -> None:
    (path,) = make_logs(tmp_path, n=1, fmt=fmt, status=status, samples=3)

    header = read_header(path)
    assert header.status == status
    count = sample_count(path)
    if status == "error":
        assert header.error is not None and ERROR_MESSAGE in header.error.message
        assert count == 3  # two answered, the last with the error
        samples = read_log(path).samples or []
        assert [s.error is not None for s in samples] == [False, False, True]
    elif status == "cancelled":
        assert header.results is not None and header.results.completed_samples == 2
        assert count == 3  # the interrupted sample is logged too
    else:  # started: an unfinished log, as a killed run leaves it
        assert header.results is None
        assert count == (2 if fmt == "eval" else 0)


def test_json_and_eval_logs_are_listed(make_logs: LogFactory, tmp_path: Path) -> None:
    json_logs = make_logs(tmp_path, n=2, fmt="json")
    eval_logs = make_logs(tmp_path, n=2, fmt="eval")
    (tmp_path / "notes.json").write_text("{}")  # not log-shaped: not listed

    listed = list_eval_logs(str(tmp_path))

    names = sorted(Path(info.name.removeprefix("file://")).name for info in listed)
    assert names == sorted(p.name for p in json_logs + eval_logs)
    assert {info.task for info in listed} == {"tiny"}
    assert {info.task_id for info in listed} == {
        p.stem.split("_")[2] for p in json_logs + eval_logs
    }


@pytest.mark.parametrize("fmt", ["eval", "json"])
def test_big_logs(make_logs: LogFactory, tmp_path: Path, fmt: Any) -> None:
    (path,) = make_logs(tmp_path, n=1, fmt=fmt, big=True)

    size = path.stat().st_size
    assert 0.8 * BIG_TARGET_BYTES < size < 1.25 * BIG_TARGET_BYTES
    assert read_header(path).status == "success"
    assert sample_count(path) == 3


@pytest.mark.parametrize("fmt", ["eval", "json"])
def test_corrupt_and_truncated_logs(make_logs: LogFactory, tmp_path: Path, fmt: Any) -> None:
    corrupt = make_logs.corrupt(tmp_path, fmt=fmt)
    truncated = make_logs.truncated(tmp_path, fmt=fmt)
    template = make_logs.template(fmt=fmt)

    assert truncated.stat().st_size == template.stat().st_size // 2
    assert corrupt.suffix == truncated.suffix == f".{fmt}"
    with pytest.raises(Exception):  # noqa: B017  (inspect_ai raises various types)
        read_header(corrupt)
    with pytest.raises(Exception):  # noqa: B017
        read_log(truncated)
    if fmt == "eval":  # the zip's central directory (at the end) is gone
        with pytest.raises(Exception):  # noqa: B017
            read_header(truncated)
    else:  # surprise: the header fields come first in .json and are streamed, so they still read
        assert read_header(truncated).status == "success"
    # still log-shaped names: a listing includes them
    listed = {Path(i.name.removeprefix("file://")).name for i in list_eval_logs(str(tmp_path))}
    assert {corrupt.name, truncated.name} <= listed


# --------------------------------------------------------------------------------------- S3


def test_s3_bucket_fixture(s3_bucket: str, s3_client: Any, request: pytest.FixtureRequest) -> None:
    bucket, key = split_s3_uri(s3_bucket)
    assert s3_bucket == f"s3://{bucket}" and key == "" and bucket.startswith("test-")
    assert s3_client.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    assert request.node.get_closest_marker("s3") is not None  # marked automatically


def test_inspect_and_s3fs_use_the_moto_server(
    make_logs: LogFactory,
    tmp_path: Path,
    s3_bucket: str,
    s3_client: Any,
    s3_requests: RequestLog,
) -> None:
    import s3fs

    local = make_logs(tmp_path / "logs", n=2, fmt="eval") + make_logs(
        tmp_path / "logs", fmt="json", n=1
    )
    uris = upload_dir(tmp_path / "logs", f"{s3_bucket}/prod/")
    bucket, _ = split_s3_uri(s3_bucket)
    assert list_keys(s3_client, s3_bucket) == sorted(f"prod/{p.name}" for p in local)

    s3_requests.clear()
    header = read_header(uris[0])
    assert header.status == "success"
    head = s3_client.head_object(Bucket=bucket, Key=split_s3_uri(uris[0])[1])
    assert header.etag is not None and header.etag == head["ETag"].strip('"')
    assert s3_requests.count(bucket=bucket) > 0  # inspect_ai went through our server
    assert all(r.bucket == bucket for r in s3_requests)

    assert sample_count(uris[0]) == 3
    listed = sorted(info.name for info in list_eval_logs(f"{s3_bucket}/prod"))
    assert listed == uris

    fs = s3fs.S3FileSystem()
    assert sorted(fs.ls(f"{bucket}/prod")) == [u.removeprefix("s3://") for u in uris]


def test_s3_conditional_header_write(make_logs: LogFactory, tmp_path: Path, s3_bucket: str) -> None:
    from inspect_ai.log import WriteConflictError

    (path,) = make_logs(tmp_path, n=1)
    uri = upload_file(path, f"{s3_bucket}/logs/")
    header = read_header(uri)
    stale = header.etag
    assert stale

    header.eval.tags = ["reviewed"]
    result = write_eval_log(header, uri, if_match_etag=stale, header_only=True)
    assert result.etag and result.etag != stale

    with pytest.raises(WriteConflictError):
        write_eval_log(header, uri, if_match_etag=stale, header_only=True)

    after = read_header(uri)
    assert after.eval.tags == ["reviewed"]
    assert after.etag == result.etag
    assert sample_count(uri) == 3  # a header-only write keeps the samples


def test_moto_honours_put_preconditions(s3_bucket: str, s3_client: Any) -> None:
    from botocore.exceptions import ClientError

    bucket, _ = split_s3_uri(s3_bucket)
    first = s3_client.put_object(Bucket=bucket, Key="k", Body=b"one")["ETag"]
    second = s3_client.put_object(Bucket=bucket, Key="k", Body=b"two")["ETag"]

    with pytest.raises(ClientError) as stale:
        s3_client.put_object(Bucket=bucket, Key="k", Body=b"three", IfMatch=first)
    assert stale.value.response["Error"]["Code"] == "PreconditionFailed"
    with pytest.raises(ClientError) as exists:
        s3_client.put_object(Bucket=bucket, Key="k", Body=b"three", IfNoneMatch="*")
    assert exists.value.response["Error"]["Code"] == "PreconditionFailed"
    s3_client.put_object(Bucket=bucket, Key="k", Body=b"three", IfMatch=second)
    assert s3_client.get_object(Bucket=bucket, Key="k")["Body"].read() == b"three"


def test_moto_ignores_copy_source_if_match(s3_bucket: str, s3_client: Any) -> None:
    """A limitation to know: moto does not check x-amz-copy-source-if-match (real S3 does)."""
    bucket, _ = split_s3_uri(s3_bucket)
    stale = s3_client.put_object(Bucket=bucket, Key="src", Body=b"one")["ETag"]
    s3_client.put_object(Bucket=bucket, Key="src", Body=b"two")

    s3_client.copy_object(
        Bucket=bucket,
        Key="dst",
        CopySource={"Bucket": bucket, "Key": "src"},
        CopySourceIfMatch=stale,
    )
    assert s3_client.get_object(Bucket=bucket, Key="dst")["Body"].read() == b"two"


def test_request_log_records_server_side_copy(
    s3_bucket: str, s3_client: Any, s3_requests: RequestLog
) -> None:
    bucket, _ = split_s3_uri(s3_bucket)
    s3_client.put_object(Bucket=bucket, Key="a/src.eval", Body=b"x" * 10)
    s3_requests.clear()

    s3_client.copy_object(
        Bucket=bucket, Key="b/dst.eval", CopySource={"Bucket": bucket, "Key": "a/src.eval"}
    )

    (copy,) = s3_requests.filter(predicate=lambda r: r.is_copy)
    assert copy.key == "b/dst.eval" and copy.status == 200
    assert s3_requests.count("GET") == 0, s3_requests.summary()


def test_s3_server_moves_off_a_taken_port() -> None:
    from helpers.s3 import S3Server, make_s3_client

    moved: list[int] = []
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen(1)
        taken = squatter.getsockname()[1]
        server = S3Server(port=taken, on_port_change=moved.append)
        server.start()
    try:
        assert moved == [server.port] and server.port != taken
        client = make_s3_client(server.endpoint_url)
        assert isinstance(client.list_buckets()["Buckets"], list)
    finally:
        server.stop()
