"""The pager decision (a real pseudo-terminal), and ``--live`` in a real process until Ctrl-C."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import signal
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest

from inspect_flow._cli.list import should_page

PAGER = """
import os, sys
with open(sys.argv[1], "w") as f:
    f.write(sys.stdin.read())
with open(sys.argv[1] + ".less", "w") as f:
    f.write(os.environ["LESS"])
"""


def test_should_page() -> None:
    tall = "\n".join(["x"] * 30)
    assert should_page(tall, is_tty=True, width=80, height=24, no_page=False)
    assert not should_page(tall, is_tty=True, width=80, height=24, no_page=True)
    assert not should_page(tall, is_tty=False, width=80, height=24, no_page=False)
    assert not should_page(tall, is_tty=True, width=80, height=40, no_page=False)
    # wrapped lines count as the rows they take on screen
    assert should_page("y" * 800, is_tty=True, width=80, height=9, no_page=False)
    assert not should_page("y" * 800, is_tty=True, width=80, height=10, no_page=False)


def _env(work: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "LESS")}
    env["PAGER"] = f"{sys.executable} {work / 'pager.py'} {work / 'paged.txt'}"
    env["PYTHONPATH"] = os.pathsep.join(sys.path)
    return env


def _on_terminal(work: Path, rows: int, *args: str) -> str:
    """Run ``flow list log logs ARGS`` with stdout on a pseudo-terminal of ``rows`` x 100."""
    (work / "pager.py").write_text(PAGER)
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, 100, 0, 0))
    proc = subprocess.Popen(
        [sys.executable, "-m", "inspect_flow", "list", "log", "logs", *args],
        cwd=work,
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=subprocess.PIPE,
        env=_env(work),
    )
    os.close(slave)
    screen = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the terminal closed (EIO)
            break
        if not chunk:
            break
        screen += chunk
    os.close(master)
    assert proc.wait(timeout=120) == 0, proc.stderr.read() if proc.stderr else ""
    return screen.decode().replace("\r\n", "\n")


def plain(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


@pytest.mark.slow
def test_pager_only_on_a_terminal_when_taller_than_the_screen(
    corpus: list[Path], work: Path
) -> None:
    paged = work / "paged.txt"
    screen = _on_terminal(work, 10)
    # six logs: ~40 lines > 10 rows; coloured on a terminal (less shows colours: -R)
    assert paged.read_text().startswith("\x1b[1m[1]\x1b[0m logs/a/")
    assert (work / "paged.txt.less").read_text() == "-RX"
    assert "[1]" not in screen
    paged.unlink()
    screen = _on_terminal(work, 10, "--no-page")
    assert not paged.exists() and plain(screen).startswith("[1] logs/a/")
    screen = _on_terminal(work, 10, "--oneline", "-n", "2")  # fits: printed
    assert not paged.exists() and plain(screen).startswith("[1]  ")
    assert "\x1b[32msuccess" in screen
    screen = _on_terminal(work, 10, "--oneline", "-n", "2", "--display", "plain")
    assert screen.startswith("[1]  ")  # no colours with a plain display
    piped = subprocess.run(
        [sys.executable, "-m", "inspect_flow", "list", "log", "logs"],
        cwd=work,
        capture_output=True,
        text=True,
        env={**_env(work), "LINES": "5"},
        timeout=120,
        check=False,
    )
    assert piped.returncode == 0 and piped.stdout.startswith("[1] logs/a/")
    assert not paged.exists()


@pytest.mark.slow
def test_live_refreshes_until_ctrl_c(corpus: list[Path], work: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "inspect_flow", "list", "log", "logs", "--live", "1", "-n", "1"],
        cwd=work,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(work),
    )
    assert proc.stdout is not None
    lines = []
    # two refreshes: each starts with its "Every 1s" line and lists one log
    while sum(line.startswith("Every 1s, at ") for line in lines) < 2:
        line = proc.stdout.readline()
        assert line, "flow list log --live ended by itself"
        lines.append(line)
    proc.send_signal(signal.SIGINT)
    rest, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert sum(line.startswith("[1] logs/a/") for line in lines) == 1
    assert lines[1].startswith("[1] logs/a/")
    assert err == ""
