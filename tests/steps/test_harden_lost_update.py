"""Issue 9 item 1: two flow processes that read the same log and commit at the same instant.

Each of two child processes reads a log, tags it (deferred), then waits at a barrier (a line on its
stdin, written by the parent once both said "ready") and returns, so both commits start together.
Without a compare-and-swap both could pass the version check and both swap, losing one tag. With
the lock exactly one wins and the other reports a conflict, in every trial.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.logs import LogFactory, read_header
from inspect_ai.log import EvalLog

from inspect_flow import step
from inspect_flow.api import CommitError, run_step, tag

CHILD = r"""
import sys
from inspect_flow import step
from inspect_flow.api import CommitError, init, run_step, tag

name = sys.argv[1]


@step
def racer(logs):
    tagged = tag(logs, add=[name], author=name)  # deferred: written when the step returns
    print("ready", flush=True)
    sys.stdin.readline()  # the barrier
    return tagged


init(display="none", dotenv_base_dir=None)
for path in sys.argv[2:]:
    try:
        run_step(racer, path)
        print("won", flush=True)
    except CommitError:
        print("conflict", flush=True)
"""


def _line(proc: subprocess.Popen[str]) -> str:
    assert proc.stdout is not None
    while True:
        line = proc.stdout.readline()
        if not line:
            raise AssertionError(
                f"child exited: {proc.wait()} {proc.stderr.read() if proc.stderr else ''}"
            )
        if line.strip() in ("ready", "won", "conflict"):
            return line.strip()


@pytest.mark.slow  # two interpreters, 80 lined-up commits
def test_two_writers_of_one_log_never_both_win(make_logs: LogFactory, tmp_path: Path) -> None:
    trials = 80
    logs = make_logs(tmp_path / "logs", n=trials, samples=1)
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, name, *map(str, logs)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("alpha", "beta")
    ]
    results = []
    try:
        for _ in logs:
            assert [_line(p) for p in racers] == ["ready", "ready"]
            for proc in racers:  # release both at once
                assert proc.stdin is not None
                proc.stdin.write("go\n")
                proc.stdin.flush()
            results.append(sorted(_line(p) for p in racers))
    finally:
        for proc in racers:
            proc.kill()
            proc.wait()

    for path, outcome in zip(logs, results, strict=True):
        tags = read_header(path).tags
        assert outcome == ["conflict", "won"], (path.name, outcome, tags)
        assert len(tags) == 1, (path.name, tags)  # the winner's tag, none lost
    assert not [p.name for p in (tmp_path / "logs").iterdir() if p.name.startswith(".")]


def test_a_rollback_never_puts_back_over_another_writer(
    make_logs: LogFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = make_logs(tmp_path / "logs", n=2)
    original = first.read_bytes()
    theirs = tmp_path / "theirs.eval"
    second_before = second.read_bytes()
    theirs.write_bytes(second_before)  # what another writer puts at ``first``
    real_replace = os.replace

    def replace(src: object, dst: object) -> None:
        real_replace(src, dst)  # type: ignore[arg-type]
        name = os.path.basename(os.fspath(dst))  # type: ignore[call-overload]
        if name == first.name and str(src).endswith(".flowtmp"):
            real_replace(theirs, first)  # another process writes the log after our swap
        elif name == second.name and str(src).endswith(".flowtmp"):
            raise OSError(5, "I/O error (injected)")

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(CommitError) as caught:
        run_step(tag_both, str(tmp_path / "logs"))
    monkeypatch.undo()

    assert first.read_bytes() == second_before  # theirs, not ours put back over it
    kept = [p for p in (tmp_path / "logs").iterdir() if p.name.endswith(".flowbak")]
    assert [p.read_bytes() for p in kept] == [original]  # our previous version, kept
    report = {e.location.rsplit("/", 1)[-1]: e for e in caught.value.report.logs}
    assert report[first.name].status == "failed"
    assert "another process after our write" in report[first.name].detail


@step
def tag_both(logs: list[EvalLog]) -> list[EvalLog]:
    return tag(logs, add=["ours"], author="me")
