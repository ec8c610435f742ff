"""A few runs of the installed `flow` script in a subprocess (real streams, real exit codes)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

from helpers.logs import LogFactory, read_header
from helpers.s3 import upload_dir

FLOW = str(Path(sys.executable).parent / "flow")


def flow(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [FLOW, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_tag_run_separates_data_and_status(tmp_path: Path, make_logs: LogFactory) -> None:
    logs = make_logs(tmp_path / "logs", n=2)
    proc = flow("step", "tag", "logs", "--add", "reviewed", "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == "  tag(logs=2, add=['reviewed'])\n"
    report = json.loads(proc.stdout)
    assert report["summary"] == {"written": 2}
    assert [read_header(p).tags for p in logs] == [["reviewed"], ["reviewed"]]


def test_errors_are_one_line_without_traceback(tmp_path: Path, make_logs: LogFactory) -> None:
    make_logs(tmp_path / "logs", n=1)
    (tmp_path / "_flow.py").write_text(
        textwrap.dedent(
            """
            from inspect_flow import step

            @step
            def crash(logs):
                return {}["missing"]
            """
        )
    )
    crashed = flow("step", "crash", "logs", cwd=tmp_path)
    assert crashed.returncode == 1
    assert crashed.stdout == ""
    line = (tmp_path / "_flow.py").read_text().splitlines().index('    return {}["missing"]') + 1
    assert crashed.stderr.splitlines() == [
        "  crash(logs=1)",
        f"✗ Error: Step 'crash' failed ({tmp_path / '_flow.py'}:{line}): KeyError: 'missing'",
    ]

    (tmp_path / "_flow.py").write_text("import os\nos.environ['X'] = 1\n")
    broken = flow("step", "tag", "logs", "--add", "x", cwd=tmp_path)
    assert (broken.returncode, broken.stdout) == (4, "")
    assert broken.stderr == (
        f"✗ Error: Error loading {tmp_path / '_flow.py'}:2: TypeError: str expected, not int\n"
    )


def test_s3_through_the_installed_script(
    tmp_path: Path, make_logs: LogFactory, s3_bucket: str, s3_client: Any
) -> None:
    make_logs(tmp_path / "src", n=1)
    [uri] = upload_dir(tmp_path / "src", f"{s3_bucket}/logs", s3_client)
    proc = flow("step", "tag", f"{s3_bucket}/logs/", "--add", "x", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "tag: 1 written\n"
    assert read_header(uri).tags == ["x"]


def test_the_process_exit_keeps_what_a_normal_exit_guarantees(
    tmp_path: Path, make_logs: LogFactory
) -> None:
    # The console script skips the interpreter's teardown (exit_process): atexit handlers must
    # still run, buffered output must still reach the pipe, a non-daemon thread must still be
    # waited for, and the exit code must be the command's.
    make_logs(tmp_path / "logs", n=2)
    (tmp_path / "_flow.py").write_text(
        textwrap.dedent(
            """
            import atexit
            import threading
            from pathlib import Path

            from inspect_flow import step

            @step
            def late(logs):
                atexit.register(Path("atexit.txt").write_text, "ran")
                atexit.register(print, "printed at exit")  # buffered: flushed after the handlers
                return logs

            @step
            def threaded(logs):
                # A non-daemon thread still running when the command returns: waited for.
                threading.Timer(0.5, Path("thread.txt").write_text, args=("ran",)).start()
                return logs

            @step
            def fail(logs):
                atexit.register(Path("failed.txt").write_text, "ran")
                raise ValueError("no")
            """
        )
    )
    buffered = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    done = flow("step", "late", "logs", cwd=tmp_path, env=buffered)
    assert done.returncode == 0, done.stderr
    assert done.stdout.endswith("printed at exit\n")
    assert (tmp_path / "atexit.txt").read_text() == "ran"
    assert flow("step", "threaded", "logs", cwd=tmp_path).returncode == 0
    assert (tmp_path / "thread.txt").read_text() == "ran"

    failed = flow("step", "fail", "logs", cwd=tmp_path, env=buffered)
    assert failed.returncode == 1
    assert failed.stderr.splitlines()[-1].endswith("ValueError: no")
    assert (tmp_path / "failed.txt").read_text() == "ran"
