"""User code calling ``sys.exit`` is a user-file error (exit 4, file:line), never a silent end.

Each case calls ``sys.exit(0)`` — the worst one, since it used to end ``flow`` with exit 0 and
nothing done — from a different kind of user code, and checks that nothing was written.
"""

from __future__ import annotations

from pathlib import Path

from helpers.cli import flow_cli, write_file
from helpers.logs import read_header

FILTER = """
import sys
from inspect_flow import log_filter

@log_filter
def quits(log):
    sys.exit(0)
"""

STEP = """
import sys
from inspect_flow import step
from inspect_flow.api import tag

@step
def quitter(logs):
    tag(logs, add=["never"])
    sys.exit(0)
"""


def unchanged(logs: list[Path]) -> bool:
    return all(not read_header(p).tags for p in logs)


def test_sys_exit_in_a_filter(work: Path, logs: list[Path]) -> None:
    path = write_file(work / "filters.py", FILTER)
    result = flow_cli("step", "tag", "logs", "--add", "x", "--filter", "filters.py@quits")
    assert result.code == 4, result
    assert result.err_lines()[-1] == (
        f"✗ Error: Error in {path}:6: sys.exit(0) called in log filter 'filters.py@quits'"
    )
    assert unchanged(logs)


def test_sys_exit_in_a_step_writes_nothing(work: Path, logs: list[Path]) -> None:
    path = write_file(work / "steps.py", STEP)
    result = flow_cli("step", "steps.py@quitter", "logs")
    assert result.code == 4, result
    assert result.err_lines()[-1] == (
        f"✗ Error: Error in {path}:8: sys.exit(0) called in step 'quitter'"
    )
    assert unchanged(logs)


def test_sys_exit_in_a_flow_file(work: Path, logs: list[Path]) -> None:
    path = write_file(work / "_flow.py", "import sys\n\nsys.exit(0)\n")
    result = flow_cli("step", "tag", "logs", "--add", "x")
    assert result.code == 4, result
    assert result.err_lines()[-1] == f"✗ Error: Error loading {path}:3: sys.exit(0) called"
    assert unchanged(logs)


def test_sys_exit_in_a_spec_file_and_spec_function(work: Path) -> None:
    spec = write_file(work / "spec.py", "import sys\nsys.exit('bye')\n")
    result = flow_cli("check", "spec.py")
    assert result.code == 4, result
    assert result.err_lines()[-1] == f"✗ Error: Error loading {spec}:2: sys.exit('bye') called"
    spec = write_file(work / "fspec.py", "import sys\n\ndef spec():\n    sys.exit(0)\n")
    result = flow_cli("config", "fspec.py")
    assert result.code == 4, result
    assert result.err_lines()[-1] == f"✗ Error: Error loading {spec}:4: sys.exit(0) called"


def test_sys_exit_from_python_api_step_is_an_exception(work: Path, logs: list[Path]) -> None:
    """From Python too: the caller gets a UserFileError, not a process exit."""
    import pytest

    from inspect_flow._discovery import load_python_file
    from inspect_flow.api import UserFileError

    module = load_python_file(write_file(work / "steps.py", STEP))
    with pytest.raises(UserFileError, match="sys.exit\\(0\\) called in step 'quitter'"):
        module.quitter([str(p) for p in logs])
    assert unchanged(logs)


def test_sys_exit_anywhere_else_in_user_code_is_caught_by_the_cli(work: Path) -> None:
    """A task function calling sys.exit while ``check`` instantiates it: exit 4, its file:line."""
    tasks = write_file(
        work / "tasks.py",
        """
        import sys
        from inspect_ai import Task, task

        @task
        def quits():
            sys.exit(0)
        """,
    )
    write_file(
        work / "spec.py",
        """
        from inspect_flow._spec import FlowSpec, FlowTask
        FlowSpec(log_dir="logs", tasks=[FlowTask(name="tasks.py@quits")])
        """,
    )
    result = flow_cli("check", "spec.py")
    assert result.code == 4, result
    assert result.err_lines()[-1] == f"✗ Error: Error in {tasks}:6: sys.exit(0) called in user code"
