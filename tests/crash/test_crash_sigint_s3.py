"""Issue 9 item 2 on S3: a real Ctrl+C (SIGINT) to ``flow`` while it commits writes to S3.

The test S3 server holds the N-th commit request (a barrier in its request hook) until the test has
sent SIGINT to the ``flow`` subprocess: the signal lands while commits are in flight. After it, no
further conditional write may start, the committed ones are put back, uploads never completed are
aborted, and the run exits 130 with a report.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from helpers.logs import LogFactory
from helpers.s3 import RequestLog, list_keys, upload_dir

from inspect_flow._logs.s3.client import S3_CONCURRENCY

WAIT = 120  # a bound on waiting for the child (a hang fails the test instead of blocking it)


def _interrupt_at(
    requests: RequestLog, is_commit: Any, at: int, args: list[str], cwd: Path
) -> subprocess.CompletedProcess[str]:
    """Run flow; hold its ``at``-th commit request until SIGINT was sent, then let it go on."""
    reached, released = threading.Event(), threading.Event()
    seen = [0]
    lock = threading.Lock()

    def before(environ: dict[str, Any]) -> None:
        if not is_commit(environ):
            return
        with lock:
            seen[0] += 1
            hold = seen[0] == at
        if hold:
            reached.set()
            released.wait(WAIT)

    requests.before = before
    proc = subprocess.Popen(
        [sys.executable, "-m", "inspect_flow", *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert reached.wait(WAIT), "flow never reached the commit"
        proc.send_signal(signal.SIGINT)
    finally:
        released.set()
    out, err = proc.communicate(timeout=WAIT)
    requests.before = None
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def _objects(client: Any, prefix: str) -> dict[str, bytes]:
    bucket = prefix[len("s3://") :].partition("/")[0]
    return {
        k: client.get_object(Bucket=bucket, Key=k)["Body"].read() for k in list_keys(client, prefix)
    }


@pytest.mark.slow
def test_ctrl_c_while_tagging_on_s3_sends_no_new_write_and_rolls_back(
    make_logs: LogFactory, tmp_path: Path, s3_bucket: str, s3_client: Any, s3_requests: RequestLog
) -> None:
    make_logs(tmp_path / "logs", n=100, samples=1)
    upload_dir(tmp_path / "logs", f"{s3_bucket}/logs", s3_client)
    before = _objects(s3_client, f"{s3_bucket}/logs/")
    s3_requests.clear()

    def is_commit(environ: dict[str, Any]) -> bool:
        return environ["REQUEST_METHOD"] == "PUT" and bool(environ.get("HTTP_IF_MATCH"))

    done = _interrupt_at(
        s3_requests, is_commit, 40, ["step", "tag", f"{s3_bucket}/logs", "--add", "x"], tmp_path
    )

    assert done.returncode == 130, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines()[-1].startswith("✗ Interrupted: nothing written"), done.stderr
    assert _objects(s3_client, f"{s3_bucket}/logs/") == before  # every object's bytes as before
    rolled = done.stderr.count("rolled back: interrupted (Ctrl+C)")
    held = done.stderr.count("held back: interrupted (Ctrl+C)")
    assert rolled + held == 100
    assert 40 <= rolled < 40 + S3_CONCURRENCY  # only the writes in flight went on
    puts = [r for r in s3_requests.filter("PUT") if "If-Match" in r.headers]
    assert len(puts) == 2 * rolled  # each commit sent was put back; nothing else was sent


@pytest.mark.slow
def test_ctrl_c_while_copying_to_s3_leaves_nothing(
    make_logs: LogFactory, tmp_path: Path, s3_bucket: str, s3_client: Any, s3_requests: RequestLog
) -> None:
    make_logs(tmp_path / "logs", n=60, samples=1)
    s3_requests.clear()

    def is_complete(environ: dict[str, Any]) -> bool:
        # a small copy is committed by one PUT If-None-Match: * (no multipart upload)
        return environ["REQUEST_METHOD"] == "PUT" and environ.get("HTTP_IF_NONE_MATCH") == "*"

    done = _interrupt_at(
        s3_requests,
        is_complete,
        20,
        ["step", "copy", "logs", "--dest", f"{s3_bucket}/prod"],
        tmp_path,
    )

    assert done.returncode == 130, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines()[-1].startswith("✗ Interrupted: nothing written"), done.stderr
    assert list_keys(s3_client, f"{s3_bucket}/prod/") == []
    bucket = s3_bucket[len("s3://") :]
    assert s3_client.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    assert os.listdir(tmp_path / "logs") and all(
        not n.startswith(".") for n in os.listdir(tmp_path / "logs")
    )
