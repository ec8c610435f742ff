"""Run the real ``flow`` CLI in-process (the console script's ``run``) with separate streams.

``flow_cli("step", "tag", "logs", "--add", "x")`` calls ``inspect_flow._cli.main.run`` (what
the console script calls: it expands ``@NAME`` tokens and maps every error to one line and an exit
code) inside ``CliRunner.isolation`` (click 8.2+), so stdout and stderr are captured separately, and
help is rendered as on an 80-column terminal.

Discovery and the step/filter registries are process-global; ``isolated_cli`` (the body of the CLI
test modules' autouse fixture) snapshots them, resets the ``_flow.py`` caches, and runs the test in
an empty directory of its own.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import click.formatting
import pytest
from click.testing import CliRunner


@dataclass
class FlowResult:
    """What one ``flow`` invocation did.

    Attributes:
        code: The exit code ``run`` returned (what the console script exits with).
        stdout: Everything written to stdout.
        stderr: Everything written to stderr.
    """

    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        """stdout then stderr (for assertions that do not care which)."""
        return self.stdout + self.stderr

    def err_lines(self) -> list[str]:
        """The non-empty lines of stderr."""
        return [line for line in self.stderr.splitlines() if line.strip()]

    def out_lines(self) -> list[str]:
        """The non-empty lines of stdout."""
        return [line for line in self.stdout.splitlines() if line.strip()]

    def __str__(self) -> str:
        return f"exit {self.code}\n--- stdout\n{self.stdout}--- stderr\n{self.stderr}"


def flow_cli(*args: str, env: Mapping[str, str | None] | None = None) -> FlowResult:
    """Run ``flow ARGS...`` in-process through ``run()`` and capture both streams.

    Args:
        *args: The command line after ``flow``.
        env: Environment overrides for the call (``None`` removes a variable); ``COLUMNS`` is
            80 unless given.

    Returns:
        The exit code and the captured streams.
    """
    from inspect_flow._cli.main import run

    root = logging.getLogger()
    level = root.level
    runner = CliRunner()
    try:
        with runner.isolation(env={"COLUMNS": "80", **(env or {})}) as (out, err, _):
            # Help as an 80-column terminal shows it (click wraps at columns - 2), like the
            # reference transcripts; CliRunner would force exactly 80.
            click.formatting.FORCED_WIDTH = None
            code = run(list(args))
            sys.stdout.flush()
            sys.stderr.flush()
            stdout, stderr = out.getvalue(), err.getvalue()
    finally:
        root.setLevel(level)  # --log-level must not leak into later tests
    return FlowResult(code, stdout.decode(), stderr.decode("utf-8", "backslashreplace"))


def leftovers_removed_line(count: int, where: str) -> str:
    """The stderr line of a run that removed ``count`` leftovers of killed runs in ``where``.

    Args:
        count: Files removed.
        where: The directory as shown.

    Returns:
        The line, with its ``ℹ`` icon.
    """
    if count == 1:
        return f"ℹ Removed 1 leftover temp file of an interrupted run in {where}"
    return f"ℹ Removed {count} leftover temp files of interrupted runs in {where}"


def write_file(path: Path, body: str) -> Path:
    """Write dedented Python source (parents created)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(body).lstrip())
    return path


def isolated_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Body of the CLI modules' autouse fixture: fresh discovery, restored registries, CWD=tmp."""
    import inspect_flow._steps.builtins  # noqa: F401 - the built-ins belong to the snapshot
    from inspect_flow import _discovery, _output
    from inspect_flow._registry import registered_filters, registered_steps

    steps, filters = dict(registered_steps()), dict(registered_filters())
    _discovery._reset_for_tests()
    # What a fresh `flow` process has: the built-in steps, no filters (other test modules may
    # have registered theirs in this process).
    registered_steps().clear()
    registered_steps().update(
        {n: s for n, s in steps.items() if s.func.__module__ == "inspect_flow._steps.builtins"}
    )
    registered_filters().clear()
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    for name in list(os.environ):
        if name.startswith("INSPECT_FLOW_"):
            monkeypatch.delenv(name)
    try:
        yield work
    finally:
        _discovery._reset_for_tests()
        registered_steps().clear()
        registered_steps().update(steps)
        registered_filters().clear()
        registered_filters().update(filters)
        _output.set_display("full")
        for name, module in list(sys.modules.items()):  # sibling modules imported by test files
            if str(getattr(module, "__file__", None) or "").startswith(str(tmp_path)):
                del sys.modules[name]


def flow_subprocess(
    *args: str, cwd: Path, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m inspect_flow ARGS...`` in a subprocess (text output captured, 300 s cap).

    For what cannot run in the test process: a signal to the ``flow`` process, or deltalake
    queries on the test S3 server (they hold the GIL while they fetch, and the server runs here).

    Args:
        *args: The command line after ``flow``.
        cwd: The working directory.
        env: Variables added to this process's environment.
    """
    return subprocess.run(
        [sys.executable, "-m", "inspect_flow", *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


_PR_CAPBSET_DROP = 24
_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH = 1, 2


def drop_permission_bypass() -> None:
    """In a child before ``exec``: as root, drop the capabilities that bypass file permissions."""
    if os.geteuid() != 0:
        return
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH):
        if libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def flow_bound(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``flow ARGS`` in a subprocess bound by file permissions (even when the suite is root)."""
    return subprocess.run(
        [sys.executable, "-m", "inspect_flow", *args],
        cwd=cwd,
        env={**os.environ, "COLUMNS": "200"},
        preexec_fn=drop_permission_bypass,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
