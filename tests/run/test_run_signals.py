"""A real Ctrl-C (SIGINT) and a crash (SIGKILL) of the ``flow`` process during a run.

The task's second sample signals its own process, so the signal lands mid-run without any
waiting. Both leave the run folder resumable: ``--resume`` completes it in place.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from helpers.cli import flow_cli, flow_subprocess


def run_in_subprocess(proj: Path, signal_name: str) -> subprocess.CompletedProcess[str]:
    args = ("run", "spec.py", "--log-dir-create-unique", "--handle-file", "run.txt")
    return flow_subprocess(*args, cwd=proj, env={"FLOW_TEST_SIGNAL": signal_name})


@pytest.mark.parametrize(("signal_name", "code"), [("INT", 130), ("KILL", -9)])
def test_a_signalled_run_is_resumed_in_its_folder(proj: Path, signal_name: str, code: int) -> None:
    stopped = run_in_subprocess(proj, signal_name)
    assert stopped.returncode == code, stopped.stderr
    (folder,) = (proj / "logs").iterdir()
    assert (proj / "run.txt").read_text() == f"{folder}\n"
    assert (folder / "flow.yaml").is_file()
    assert sorted(folder.glob("*.eval")), "the partial logs are kept"
    if signal_name == "INT":
        assert stopped.stderr.splitlines()[-1] == "✗ Interrupted"
        assert "Continue with: flow run spec.py --resume --handle-file run.txt" in stopped.stderr
    resumed = flow_cli("run", "spec.py", "--resume", "--handle-file", "run.txt")
    assert resumed.code == 0, resumed
    assert resumed.out_lines()[-1] == "Completed 2 tasks"
    assert list((proj / "logs").iterdir()) == [folder]
    assert flow_cli("check", "spec.py", "--log-dir", f"logs/{folder.name}").code == 0
