"""Issue 9, clear errors: a step returning strings, read-only logs and folders."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.cli import flow_bound, flow_cli, write_file
from helpers.logs import LogFactory, read_header

STEPS = """\
from inspect_flow import step


@step
def names(logs):
    return [log.location for log in logs]


@step
def mixed(logs):
    return [logs[0], "x"]
"""


@pytest.mark.parametrize("name", ["names", "mixed"])
def test_a_step_returning_strings_is_a_broken_step(
    make_logs: LogFactory, tmp_path: Path, name: str
) -> None:
    make_logs(tmp_path / "logs", n=2)
    steps = write_file(tmp_path / "steps.py", STEPS)

    result = flow_cli("step", str(steps), name, str(tmp_path / "logs"))

    assert result.code == 4, result
    (line,) = [x for x in result.err_lines() if x.startswith("✗")]
    assert line.endswith(
        f"step '{name}' returned list holding str; a step must return list[EvalLog] or StepResult"
    )
    assert f"{steps}:" in line


@pytest.fixture
def bound(tmp_path: Path) -> Path:
    """A folder to run ``flow`` in, bound by file permissions (see ``flow_bound``)."""
    try:
        done = flow_bound("--version", cwd=tmp_path)
    except OSError as exc:
        pytest.skip(f"cannot run flow bound by file permissions here: {exc}")
    if done.returncode != 0:
        pytest.skip(f"cannot run flow bound by file permissions here: {done.stderr}")
    return tmp_path


@pytest.mark.slow  # flow subprocesses
@pytest.mark.parametrize("fmt", ["eval", "json"])
def test_a_read_only_log_is_refused_by_name(make_logs: LogFactory, bound: Path, fmt: str) -> None:
    (log,) = make_logs(bound / "logs", n=1, fmt=fmt)  # type: ignore[arg-type]
    log.chmod(0o444)
    before = log.read_bytes()

    done = flow_bound("step", "tag", "logs", "--add", "x", cwd=bound)

    assert done.returncode == 1, done.stderr
    assert done.stderr.splitlines()[-1] == (
        f"✗ Error: Nothing written: Log is read-only (no write permission): logs/{log.name}"
    )
    assert ".flowtmp" not in done.stderr
    assert log.read_bytes() == before
    assert [p.name for p in (bound / "logs").iterdir()] == [log.name]


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["eval", "json"])
def test_a_log_in_a_read_only_folder_is_refused_by_name(
    make_logs: LogFactory, bound: Path, fmt: str
) -> None:
    (log,) = make_logs(bound / "logs", n=1, fmt=fmt)  # type: ignore[arg-type]
    (bound / "logs").chmod(0o555)
    try:
        done = flow_bound("step", "tag", "logs", "--add", "x", cwd=bound)
    finally:
        (bound / "logs").chmod(0o755)

    assert done.returncode == 1, done.stderr
    assert done.stderr.splitlines()[-1] == (
        "✗ Error: Nothing written: Cannot write in the log's folder (permission denied): "
        f"logs/{log.name}"
    )
    assert read_header(log).tags == []


@pytest.mark.slow
def test_a_read_only_log_can_be_copied_with_a_new_header(
    make_logs: LogFactory, bound: Path
) -> None:
    (log,) = make_logs(bound / "logs", n=1)
    log.chmod(0o444)
    steps = write_file(
        bound / "steps.py",
        "from inspect_flow import step\n"
        "from inspect_flow.api import copy, tag\n\n\n"
        "@step\ndef promote(logs):\n"
        "    return tag(copy(logs, dest='prod'), add=['prod'], author='me')\n",
    )

    done = flow_bound("step", str(steps), "promote", "logs", cwd=bound)

    assert done.returncode == 0, done.stderr
    copied = bound / "prod" / log.name
    assert read_header(copied).tags == ["prod"]
    assert copied.stat().st_mode & 0o777 == 0o444  # the source's mode, as cp keeps it


FLUSH_THEN_FAIL = """\
from inspect_flow import StepResult, step
from inspect_flow.api import tag


@step
def flush_then_fail(logs):
    return StepResult(logs=tag(logs, add=["early"], author="me"), flush=True)


@step
def outer(logs):
    flush_then_fail(logs)
    raise ValueError("boom")
"""


def test_after_a_flush_and_an_error_the_written_logs_are_named(
    make_logs: LogFactory, tmp_path: Path
) -> None:
    logs = make_logs(tmp_path / "logs", n=2)
    steps = write_file(tmp_path / "steps.py", FLUSH_THEN_FAIL)

    result = flow_cli("step", str(steps), "outer", str(tmp_path / "logs"))

    assert result.code == 1, result
    assert all(read_header(p).tags == ["early"] for p in logs)  # written, and they stay
    (line,) = [x for x in result.err_lines() if "already written" in x]
    assert line.startswith("⚠ 2 logs already written by a flush before the error, left written: ")
    assert all(p.name in line for p in logs)
    assert result.err_lines()[-1].endswith("ValueError: boom")
