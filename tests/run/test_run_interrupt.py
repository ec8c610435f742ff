"""Ctrl-C during flow run: exit 130, the partial logs are kept, and --resume continues them."""

from __future__ import annotations

from pathlib import Path

from helpers.cli import flow_cli
from helpers.logs import read_header


def eval_logs(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.eval"))


def test_interrupted_run_keeps_its_logs_and_resume_completes_it(proj: Path) -> None:
    args = ("run", "spec.py", "--log-dir-create-unique", "--handle-file", "run.txt")
    stopped = flow_cli(*args, env={"FLOW_TEST_STOP": "1"})
    assert stopped.code == 130, stopped
    (folder,) = (proj / "logs").iterdir()
    shown = f"logs/{folder.name}"
    assert stopped.err_lines()[-2:] == [
        f"ℹ Interrupted: the partial logs are kept in {shown}. Continue with: "
        "flow run spec.py --resume --handle-file run.txt",
        "✗ Interrupted",
    ]
    partial = eval_logs(folder)
    assert partial, "the interrupted run's logs are kept"
    assert {read_header(p).status for p in partial} <= {"started", "cancelled"}
    assert (folder / "flow.yaml").is_file()
    assert flow_cli("check", "spec.py", "--log-dir", shown).code == 3

    resumed = flow_cli("run", "spec.py", "--resume", "--handle-file", "run.txt")
    assert resumed.code == 0, resumed
    assert f"Log dir: {shown}" in resumed.stdout
    assert resumed.out_lines()[-1] == "Completed 2 tasks"
    assert list((proj / "logs").iterdir()) == [folder], "no new run folder"
    assert flow_cli("check", "spec.py", "--log-dir", shown).code == 0


def test_resume_without_handle_file_continues_the_newest_run(proj: Path) -> None:
    assert flow_cli("run", "spec.py", "--log-dir-create-unique").code == 0
    (first,) = (proj / "logs").iterdir()
    older = proj / "logs" / "2000-01-01T00-00-00"
    older.mkdir()
    stopped = flow_cli("run", "spec.py", "--log-dir-create-unique", env={"FLOW_TEST_STOP": "1"})
    assert stopped.code == 130
    assert "Continue with: flow run spec.py --resume" in stopped.stderr
    (second,) = {p for p in (proj / "logs").iterdir()} - {first, older}
    resumed = flow_cli("run", "spec.py", "--resume", "--log-dir-create-unique")
    assert resumed.code == 0, resumed
    assert f"Log dir: logs/{second.name}" in resumed.stdout
    assert flow_cli("check", "spec.py", "--log-dir", f"logs/{second.name}").code == 0
    assert len(eval_logs(first)) == 2
