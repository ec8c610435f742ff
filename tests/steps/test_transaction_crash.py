"""SIGKILL during a composed tag + copy run: every source and every destination is whole.

A subprocess runs a composed step (tag every log, then copy the tagged logs to ``dest``) and is
killed inside the commit phase after the N-th log or copy became visible under its final name.
The child wraps ``os.replace`` and ``os.link`` (stdlib) so that after the N-th rename or link to a
visible name it creates a marker file and waits to be killed; the parent polls for the marker.

After each kill every source reads in full and is old or new (tagged), and every destination is
either absent or a complete copy of the tagged log; nothing hidden is ever listed as a log.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers.logs import LogFactory, read_header, read_log

from inspect_flow._logs import expand_paths

CHILD = r"""
import os, sys, time
root, dest, marker, kill_after = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
visible = [0]


def counted(real):
    def wrapper(src, dst, *args, **kwargs):
        real(src, dst, *args, **kwargs)
        if not os.path.basename(os.fspath(dst)).startswith("."):
            visible[0] += 1
            if visible[0] == kill_after:
                open(marker, "w").close()
                time.sleep(600)  # wait for the SIGKILL
    return wrapper


os.replace = counted(os.replace)
os.link = counted(os.link)

from inspect_flow import step
from inspect_flow.api import copy, init, run_step, tag


@step
def promote(logs, *, dest):
    return copy(tag(logs, add=["promoted"], author="crash-test"), dest=dest)


init(display="none", dotenv_base_dir=None)
print(run_step(promote, root, dest=dest).summary())
"""


def _run_until_killed(root: Path, dest: Path, marker: Path, kill_after: int) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(root), str(dest), str(marker), str(kill_after)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not marker.exists():
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"child exited ({proc.returncode}) before swap {kill_after}:\n{out}{err}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"timed out waiting for swap {kill_after}")
        time.sleep(0.001)  # poll interval, not a wait for time to pass
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL


def _verify(sources: list[Path], dest: Path) -> tuple[int, int]:
    """Every source is whole and old or new; every copy whole and new. Returns (tagged, copied)."""
    tagged = copied = 0
    for path in sources:
        log = read_log(path)
        assert log.samples is not None and len(log.samples) == 2
        assert log.tags in ([], ["promoted"]), path
        tagged += log.tags == ["promoted"]
        copy = dest / path.name
        if copy.exists():
            full = read_log(copy)
            assert full.tags == ["promoted"] and full.samples == log.samples
            copied += 1
    listed = expand_paths([str(sources[0].parent)])
    assert sorted(listed) == sorted("file://" + str(p) for p in sources)
    if dest.exists():
        assert all(
            not n.startswith(".") or n.endswith((".flowtmp", ".flowbak")) for n in _names(dest)
        )
    return tagged, copied


def _names(directory: Path) -> list[str]:
    return [p.name for p in directory.iterdir()]


@pytest.mark.slow  # subprocesses killed mid-commit (~2 s each)
@pytest.mark.parametrize("kill_after", [1, 4, 5, 8])
def test_sigkill_during_a_composed_tag_and_copy_commit(
    make_logs: LogFactory, tmp_path: Path, kill_after: int
) -> None:
    root, dest = tmp_path / "logs", tmp_path / "prod"
    sources = make_logs(root, n=3, samples=2) + make_logs(root, n=2, fmt="json", samples=2)
    assert all(read_header(p).tags == [] for p in sources)

    _run_until_killed(root, dest, tmp_path / "marker", kill_after)

    # edits are committed first, then the copies, one visible name each
    tagged, copied = _verify(sources, dest)
    assert (tagged, copied) == (min(kill_after, 5), max(0, kill_after - 5))
