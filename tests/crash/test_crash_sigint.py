"""Issue 9 item 2: a real Ctrl+C (SIGINT) to ``flow`` while it commits a batch of hundreds of logs.

The child runs the real CLI with ``os.replace``/``os.link``/``os.unlink`` wrapped (stdlib, not our
code): after the N-th file swapped or linked into place it says ``paused`` on stdout and waits for a
line on stdin. The parent sends SIGINT while it waits, then lets it go on, so the signal lands at a
known point of the commit without any sleeping. The same pause can be placed at the first step of
the rollback, for a second Ctrl+C there.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.logs import LogFactory

CHILD = r"""
import os, sys
pause_commit, pause_rollback, argv = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
done = {"commit": 0, "rollback": 0}


def pause(kind, limit):
    done[kind] += 1
    if done[kind] == limit:
        print(f"paused {kind}", flush=True)
        sys.stdin.readline()


def wrap(real):
    def wrapper(src, dst, *args, **kwargs):
        real(src, dst, *args, **kwargs)
        s, d = os.path.basename(os.fspath(src)), os.path.basename(os.fspath(dst))
        if s.endswith(".flowtmp") and not d.startswith("."):
            pause("commit", pause_commit)
        elif s.endswith(".flowbak") and not d.startswith("."):
            pause("rollback", pause_rollback)
    return wrapper


real_unlink = os.unlink


def unlink(path, *args, **kwargs):
    real_unlink(path, *args, **kwargs)
    if not os.path.basename(os.fspath(path)).startswith("."):  # a copy removed by the rollback
        pause("rollback", pause_rollback)


os.replace, os.link, os.unlink = wrap(os.replace), wrap(os.link), unlink
from inspect_flow._cli.main import main
sys.argv = ["flow", *argv]
main()
"""


def _flow_interrupted(
    cwd: Path, args: list[str], commit_at: int, rollback_at: int = 0
) -> subprocess.CompletedProcess[str]:
    """Run flow, SIGINT it after the ``commit_at``-th swap (and the ``rollback_at``-th undo)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(commit_at), str(rollback_at), *args],
        cwd=cwd,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdin is not None and proc.stdout is not None
    out: list[str] = []
    for kind in ["commit"] + (["rollback"] if rollback_at else []):
        while (line := proc.stdout.readline()) and line.strip() != f"paused {kind}":
            out.append(line)
        assert line, f"flow ended before the {kind} pause: {proc.wait()} {''.join(out)}"
        proc.send_signal(signal.SIGINT)
        proc.stdin.write("go\n")
        proc.stdin.flush()
    rest, err = proc.communicate(timeout=300)
    return subprocess.CompletedProcess(proc.args, proc.returncode, "".join(out) + rest, err)


def assert_rolled_back(done: subprocess.CompletedProcess[str]) -> None:
    """Exit 130, no traceback, and the last line says nothing was written."""
    assert done.returncode == 130, done.stderr
    assert done.stderr.splitlines()[-1].startswith("✗ Interrupted: nothing written"), done.stderr
    assert "Traceback" not in done.stderr


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.mark.slow  # a flow subprocess over 300 logs
def test_ctrl_c_while_tagging_300_logs_rolls_every_log_back(
    make_logs: LogFactory, tmp_path: Path
) -> None:
    make_logs(tmp_path / "logs", n=300, samples=1)
    before = _files(tmp_path / "logs")

    done = _flow_interrupted(tmp_path, ["step", "tag", "logs", "--add", "x"], commit_at=120)

    assert_rolled_back(done)
    assert _files(tmp_path / "logs") == before  # every log as it was, no hidden file left
    assert done.stderr.count("rolled back: interrupted (Ctrl+C)") == 120, done.stderr
    assert done.stderr.count("held back: interrupted (Ctrl+C)") == 180, done.stderr
    assert done.stdout.splitlines()[-1] == "tag: 300 not written"


@pytest.mark.slow
def test_ctrl_c_while_copying_300_logs_removes_every_copy(
    make_logs: LogFactory, tmp_path: Path
) -> None:
    make_logs(tmp_path / "logs", n=300, samples=1)
    before = _files(tmp_path / "logs")

    done = _flow_interrupted(tmp_path, ["step", "copy", "logs", "--dest", "prod"], commit_at=150)

    assert_rolled_back(done)
    assert _files(tmp_path / "logs") == before
    assert not (tmp_path / "prod").exists() or not os.listdir(tmp_path / "prod")


@pytest.mark.slow
def test_a_second_ctrl_c_during_the_rollback_keeps_every_previous_version(
    make_logs: LogFactory, tmp_path: Path
) -> None:
    logs = make_logs(tmp_path / "logs", n=300, samples=1)
    before = {p.name: p.read_bytes() for p in logs}

    done = _flow_interrupted(
        tmp_path, ["step", "tag", "logs", "--add", "x"], commit_at=120, rollback_at=30
    )

    assert done.returncode == 130, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines()[-1].startswith("✗ Interrupted: "), done.stderr
    assert "could not be put back" in done.stderr.splitlines()[-1]
    after = _files(tmp_path / "logs")
    kept = {name: data for name, data in after.items() if name.endswith(".flowbak")}
    restored = [n for n in before if after[n] == before[n]]
    assert len(restored) >= 30  # the first 30 undone before the second Ctrl+C
    for name, old in before.items():  # every previous version still exists somewhere
        assert after[name] == old or old in kept.values(), name
    assert len(kept) == len(before) - len(restored)
    assert done.stderr.count("Ctrl+C again before it was put back") == len(kept)
