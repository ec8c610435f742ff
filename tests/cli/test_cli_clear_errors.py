"""Clear errors: a bare ``s3://`` is a usage error; a dead S3 endpoint fails in bounded time."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.cli import flow_cli


@pytest.mark.parametrize("path", ["s3://", "s3:///", "s3:////"])
def test_bare_s3_is_a_usage_error(path: str) -> None:
    result = flow_cli("step", "tag", path, "--add", "x")
    assert result.code == 2, result
    assert result.err_lines() == [
        f"✗ Error: Invalid PATH '{path}': name a bucket (s3://BUCKET[/PREFIX])"
    ]


def test_check_with_a_bare_s3_log_dir_is_a_usage_error(work: Path) -> None:
    (work / "spec.yaml").write_text("log_dir: s3://\ntasks: []\n")
    result = flow_cli("check", "spec.yaml")
    assert result.code == 2, result
    assert "name a bucket (s3://BUCKET[/PREFIX])" in result.err_lines()[-1]


@pytest.fixture
def frozen_endpoint() -> Iterator[str]:
    """An endpoint on loopback that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                return
            held.append(conn)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    server.close()
    for conn in held:
        conn.close()


def tag_on_frozen_s3(endpoint: str, cwd: Path, timeout: str) -> subprocess.CompletedProcess[str]:
    """``flow step tag s3://bucket/logs`` against ``endpoint``, one attempt per request."""
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
        "AWS_DEFAULT_REGION": "us-east-1",
        "INSPECT_FLOW_S3_TIMEOUT": timeout,
        "AWS_MAX_ATTEMPTS": "1",
    }
    return subprocess.run(
        [sys.executable, "-m", "inspect_flow", "step", "tag", "s3://bucket/logs", "--add", "x"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,  # the old behaviour (many minutes of retries) fails here
        check=False,
    )


@pytest.mark.slow
def test_a_frozen_s3_endpoint_gives_up(frozen_endpoint: str, tmp_path: Path) -> None:
    """With a 1 s timeout and one attempt per request, the command ends with a one-line error."""
    done = tag_on_frozen_s3(frozen_endpoint, tmp_path, "1")
    assert done.returncode == 1, done.stderr
    (line,) = done.stderr.splitlines()
    assert line.startswith("✗ Error: ReadTimeoutError: Read timeout on endpoint URL")


def test_the_step_call_line_shortens_long_values(logs: list[Path]) -> None:
    note = "n" * 500
    result = flow_cli("step", "metadata", "logs", "--set", f"note={note}", "--set", "k=1")
    assert result.code == 0, result
    (line,) = [line for line in result.err_lines() if line.startswith("  metadata(")]
    assert len(line) < 120
    assert line.startswith("  metadata(logs=2, set={'note': 'nnnn")
    assert line.endswith("nnnn', 'k': 1})") and "..." in line


@pytest.mark.slow  # waits for the notice (5 s) and the bounded give-up
def test_a_frozen_s3_endpoint_says_it_is_waiting(frozen_endpoint: str, tmp_path: Path) -> None:
    done = tag_on_frozen_s3(frozen_endpoint, tmp_path, "7")  # longer than the notice's 5 s
    assert done.returncode == 1, done.stderr
    waiting, error = done.stderr.splitlines()
    assert waiting == (
        f"⚠ Waiting for S3 ({frozen_endpoint}): no answer for 5 s "
        "(a request gives up after 7 s per attempt, 1 attempt)"
    )
    assert error.startswith("✗ Error: ReadTimeoutError: Read timeout on endpoint URL")
