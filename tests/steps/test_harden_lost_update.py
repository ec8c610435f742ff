"""Issue 9 item 1: two flow processes that read the same log and commit at the same instant.

Each of two child processes reads a log, tags it (deferred), then waits at a barrier (a line on its
stdin, written by the parent once both said "ready") and returns, so both commits start together.
Without a compare-and-swap both could pass the version check and both swap, losing one tag. With
the lock exactly one wins and the other reports a conflict, in every trial.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from helpers.logs import LogFactory, read_header

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
