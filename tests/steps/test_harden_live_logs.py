"""Issue 9 item 6: an edit of a log whose eval is still running is not written (it is lost)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from helpers.cli import flow_cli
from helpers.logs import LogFactory, read_header

from inspect_flow._logs.live import INCLUDE_RUNNING_ENV, LIVE_SECONDS


@pytest.fixture
def running(make_logs: LogFactory, tmp_path: Path) -> tuple[Path, Path]:
    """A ``started`` log modified just now (a running eval) and a finished one beside it."""
    (live,) = make_logs(tmp_path / "logs", n=1, status="started")
    (done,) = make_logs(tmp_path / "logs", n=1)
    now = time.time()
    os.utime(live, (now, now))
    return live, done


def test_a_running_eval_log_is_skipped_with_a_warning(running: tuple[Path, Path]) -> None:
    live, done = running
    before = live.read_bytes()

    result = flow_cli("step", "tag", str(live.parent), "--add", "x")

    assert result.code == 0, result
    assert live.read_bytes() == before
    assert read_header(done).tags == ["x"]
    warning = next(line for line in result.err_lines() if live.name in line and "Skipped" in line)
    assert "still running" in warning and INCLUDE_RUNNING_ENV in warning
    assert result.out_lines()[-1] == "tag: 1 written, 1 skipped"


def test_a_dry_run_says_a_running_eval_log_would_be_skipped(running: tuple[Path, Path]) -> None:
    live, done = running
    result = flow_cli("step", "tag", str(live.parent), "--add", "x", "--dry-run")
    assert result.code == 0, result
    assert any("Skipped" in line and live.name in line for line in result.err_lines())
    assert not any(live.name in line for line in result.out_lines() if "would write" in line)
    assert any(done.name in line for line in result.out_lines() if "would write" in line)


def test_a_running_eval_log_is_written_when_the_user_insists(running: tuple[Path, Path]) -> None:
    live, _ = running
    result = flow_cli("step", "tag", str(live), "--add", "x", env={INCLUDE_RUNNING_ENV: "1"})
    assert result.code == 0, result
    assert read_header(live).tags == ["x"]


def test_a_started_log_untouched_for_long_is_a_dead_eval_and_is_written(
    running: tuple[Path, Path],
) -> None:
    live, _ = running
    old = time.time() - LIVE_SECONDS - 60
    os.utime(live, (old, old))
    result = flow_cli("step", "tag", str(live), "--add", "x")
    assert result.code == 0, result
    assert read_header(live).tags == ["x"]
