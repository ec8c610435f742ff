"""flow check --venv / execution_type="venv": tasks resolved in a temporary virtual environment.

The project's task file imports ``flowvenvtasks``, a package from a wheel built here by hand. It is
not installed in the test environment, so the task can only be created inside the venv that
installs the wheel (``additional_dependencies``). Its logs are real: made once by inspect_ai with
the wheel briefly importable from its zip.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers.cli import flow_cli, isolated_cli

FLOW = str(Path(sys.executable).parent / "flow")
WHEEL = "flowvenvtasks-0.1-py3-none-any.whl"
SPEC = """\
from inspect_flow._spec.models import FlowDependencies, FlowSpec, FlowTask

FlowSpec(
    log_dir="logs",
    dependencies=FlowDependencies(dependency_file="no_file", additional_dependencies=["./{wheel}"]),
    tasks=[FlowTask(name="venvtasks.py@mytask", model="mockllm/model")],
)
"""
YAML_SPEC = """\
log_dir: logs
execution_type: venv
dependencies:
  dependency_file: no_file
  additional_dependencies: ./{wheel}
tasks:
  - name: venvtasks.py@mytask
    model: mockllm/model
  - name: venvtasks.py@mytask
    model: mockllm/model
    args: {{n: 3}}
"""
TASKS = '''\
"""A task whose dataset comes from flowvenvtasks (installed only in the venv)."""

from corpus_tasks import answer_from_target  # the check tests' solver: never calls the model
from flowvenvtasks import samples
from inspect_ai import Task, task
from inspect_ai.scorer import match


@task
def mytask(n: int = 2) -> Task:
    return Task(dataset=samples(n), solver=answer_from_target(), scorer=match())
'''
PACKAGE = b"""from inspect_ai.dataset import Sample


def samples(n):
    return [Sample(id=i + 1, input=f"{i}+{i}?", target=str(2 * i)) for i in range(n)]
"""


def build_wheel(path: Path) -> Path:
    """Write a minimal pure-Python wheel of ``flowvenvtasks`` 0.1 (requires inspect_ai)."""
    info = "flowvenvtasks-0.1.dist-info"
    files = {
        "flowvenvtasks/__init__.py": PACKAGE,
        # inspect_ai is required, and comes from this environment: pip runs with no index
        f"{info}/METADATA": b"Metadata-Version: 2.1\nName: flowvenvtasks\nVersion: 0.1\n"
        b"Requires-Dist: inspect_ai\n",
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
        b"Tag: py3-none-any\n",
    }
    record = []
    with zipfile.ZipFile(path, "w") as wheel:
        for name, data in files.items():
            wheel.writestr(name, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            record.append(f"{name},sha256={digest.decode()},{len(data)}")
        wheel.writestr(f"{info}/RECORD", "\n".join([*record, f"{info}/RECORD,,"]) + "\n")
    return path


# What the project's files import; forgotten after an in-process use so nothing leaks.
PROJECT_MODULES = ("flowvenvtasks", "venvtasks", "corpus_tasks")


class WheelImportable:
    """Make ``flowvenvtasks`` importable from the wheel's zip for a while, then forget it."""

    def __init__(self, wheel: Path) -> None:
        self.wheel = str(wheel)

    def __enter__(self) -> None:
        sys.path.insert(0, self.wheel)

    def __exit__(self, *_: object) -> None:
        sys.path.remove(self.wheel)
        sys.path_importer_cache.pop(self.wheel, None)
        for name in [n for n in sys.modules if n.split(".")[0] in PROJECT_MODULES]:
            del sys.modules[name]


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project: the wheel, ``venvtasks.py``, ``spec.py``, ``spec.yaml`` and one real log."""
    from inspect_ai import eval

    proj = tmp_path_factory.mktemp("venvproj")
    wheel = build_wheel(proj / WHEEL)
    (proj / "venvtasks.py").write_text(TASKS)
    shutil.copy(
        Path(__file__).resolve().parents[1] / "data" / "check" / "tasks.py",
        proj / "corpus_tasks.py",
    )
    (proj / "spec.py").write_text(SPEC.format(wheel=WHEEL))
    (proj / "spec.yaml").write_text(YAML_SPEC.format(wheel=WHEEL))
    cwd = os.getcwd()
    os.chdir(proj)
    sys.path.insert(0, str(proj))
    try:
        with WheelImportable(wheel):
            import venvtasks  # type: ignore[import-not-found]

            eval(venvtasks.mytask(), model="mockllm/model", log_dir="logs", display="none")
    finally:
        os.chdir(cwd)
        sys.path.remove(str(proj))
    assert not_importable("flowvenvtasks")
    return proj


def not_importable(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is None


@pytest.fixture
def proj(pristine: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh copy of the project as the CWD (CLI registries isolated)."""
    for work in isolated_cli(tmp_path, monkeypatch):
        shutil.copytree(pristine, work, dirs_exist_ok=True)
        yield work


def subprocess_env(tmp: Path, **extra: str) -> dict[str, str]:
    """The environment of a ``flow`` subprocess: pip (not uv), no index, temp files in ``tmp``.

    uv is left off PATH so the installer (and its messages) are the same on every machine;
    ``PIP_NO_INDEX`` keeps pip offline and fast.
    """
    tmp.mkdir(exist_ok=True)
    path = os.pathsep.join(
        p for p in os.environ.get("PATH", "").split(os.pathsep) if not (Path(p) / "uv").exists()
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("INSPECT_FLOW_")}
    return {**env, "PATH": path, "PIP_NO_INDEX": "1", "TMPDIR": str(tmp), **extra}


def flow(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [FLOW, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )


def leftover_venvs(tmp: Path) -> list[str]:
    return [p.name for p in tmp.iterdir() if p.name.startswith("inspect-flow-venv-")]


def test_without_venv_the_task_cannot_be_created(proj: Path) -> None:
    result = flow_cli("check", "spec.py", "--display", "plain")
    assert result.code == 1, result
    assert result.err_lines()[-1] == (
        "✗ Error: Could not create task venvtasks.py@mytask: No module named 'flowvenvtasks'"
    )
    assert "Traceback" not in result.output


@pytest.mark.slow  # ~5 s: builds a venv, installs the wheel, imports inspect_ai
def test_venv_finds_the_log_and_removes_the_venv(proj: Path, tmp_path: Path) -> None:
    tmp = tmp_path / "tmp"
    done = flow(proj, subprocess_env(tmp), "check", "spec.py", "--venv", "--display", "plain")
    assert done.returncode == 0, done.stderr
    assert "Check: 1/1 task complete" in done.stdout.splitlines()
    assert "[OK] env venv (1 dependency)" in done.stderr.splitlines()
    assert "[OK] logs Found 1 existing logs in log directory" in done.stderr.splitlines()
    assert "Traceback" not in done.stderr
    assert leftover_venvs(tmp) == []
    assert not_importable("flowvenvtasks")  # nothing was installed here


@pytest.mark.slow  # ~5 s: builds a venv, installs the wheel, imports inspect_ai
def test_venv_json_equals_the_in_process_json(proj: Path, tmp_path: Path) -> None:
    # The YAML spec asks for the venv itself (execution_type: venv); its second task has no log.
    done = flow(proj, subprocess_env(tmp_path / "tmp"), "check", "spec.yaml", "--json")
    assert done.returncode == 3, done.stderr
    through_venv = json.loads(done.stdout)
    with WheelImportable(proj / WHEEL):  # the same check in this process, the wheel importable
        here = flow_cli("check", "spec.yaml", "--json", "-s", "execution_type=inproc")
    assert here.code == 3, here
    assert through_venv == json.loads(here.stdout)
    assert [(t["samples"], t["total_samples"]) for t in through_venv["tasks"]] == [(2, 2), (0, 3)]
    assert through_venv["tasks"][1]["reason"] == "no log"


def test_api_check_returns_a_real_result(proj: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from inspect_flow.api import check, load_spec

    monkeypatch.setenv("PIP_NO_INDEX", "1")
    spec = load_spec("spec.py")
    spec.execution_type = "venv"
    messages: list[str] = []
    result = check(spec, status=messages.append)
    assert messages == [
        "venv (1 dependency)",
        "Instantiated 1 task",
        "Found 1 existing logs in log directory",
    ]
    assert result.is_complete and result.unrecognized == [] and result.unreadable == {}
    [task] = result.tasks
    assert task.task is spec.tasks[0]  # the caller's FlowTask, not a copy from the child
    assert (task.name, task.samples, task.total_samples) == ("venvtasks.py@mytask", 2, 2)
    assert task.log_file and task.log_file.startswith((proj / "logs").as_uri())
    assert result.log_dir == (proj / "logs").as_uri()
    assert result.qualifier_header == "Model" and task.differentiator == "mockllm/model"


def test_api_refuses_what_cannot_cross_into_the_venv(proj: Path) -> None:
    from inspect_flow._spec.models import FlowSpec, FlowTask
    from inspect_flow.api import FlowUsageError, check, load_spec

    built = FlowSpec(log_dir="logs", execution_type="venv", tasks=[FlowTask(name="x.py@y")])
    with pytest.raises(FlowUsageError, match="needs a spec loaded from a file"):
        check(built)
    loaded = load_spec("spec.yaml")
    with pytest.raises(FlowUsageError, match="not functions"):
        check(loaded, filter=lambda log: True)
    with pytest.raises(FlowUsageError, match="base_dir of a venv check"):
        check(loaded, base_dir="/")


def test_bad_dependency_is_a_one_line_error(proj: Path, tmp_path: Path) -> None:
    tmp = tmp_path / "tmp"
    env = subprocess_env(tmp, INSPECT_FLOW_VENV="1")
    deps = 'dependencies.additional_dependencies=["nonexistent-flow-dep-xyz"]'
    done = flow(proj, env, "check", "spec.py", "-s", deps, "--display", "none")
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr == (
        "✗ Error: Could not install the dependencies: "
        "ERROR: No matching distribution found for nonexistent-flow-dep-xyz\n"
    )
    assert leftover_venvs(tmp) == []


def test_interrupt_removes_the_venv(
    proj: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    from inspect_flow._check import venv as _check_venv
    from inspect_flow._spec.models import FlowDependencies
    from inspect_flow.api import check, load_spec

    seen: list[str] = []

    def interrupted(python: str, *_: Any) -> None:
        seen.append(python)
        raise KeyboardInterrupt

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(_check_venv, "run_flow", interrupted)
    spec = load_spec("spec.yaml")
    spec.dependencies = FlowDependencies(dependency_file="no_file")  # nothing to install
    with pytest.raises(KeyboardInterrupt):
        check(spec)
    assert seen and seen[0].startswith(str(tmp_path))
    assert leftover_venvs(tmp_path) == []


def test_python_m_inspect_flow_is_the_cli() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "inspect_flow", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stdout) == (0, "0.14.0\n")


def test_help_lists_venv_after_json(proj: Path) -> None:
    text = flow_cli("check", "--help").stdout
    assert text.index("--json") < text.index("--venv") < text.index("--limit")


# --------------------------------------------------------- what is installed (no venv is built)


def test_dependency_file_auto_stops_at_the_repository_root(tmp_path: Path) -> None:
    from inspect_flow._spec.dependencies import dependencies
    from inspect_flow._spec.models import FlowSpec

    (tmp_path / "requirements.txt").write_text("above-the-repo\n")  # never reached
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    spec_dir = repo / "evals" / "math"
    spec_dir.mkdir(parents=True)
    spec = FlowSpec()  # dependencies unset: dependency_file "auto"
    assert dependencies(spec, str(spec_dir)) == []
    (repo / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    assert dependencies(spec, str(spec_dir)) == [[str(repo)]]  # a project: install its folder
    (repo / "evals" / "requirements.txt").write_text("numpy\n")
    assert dependencies(spec, str(spec_dir)) == [["-r", str(repo / "evals" / "requirements.txt")]]


def test_explicit_files_and_additional_dependencies_are_relative_to_the_spec(
    tmp_path: Path,
) -> None:
    from inspect_flow._errors import FlowError
    from inspect_flow._spec.dependencies import dependencies
    from inspect_flow._spec.models import FlowDependencies, FlowSpec

    (tmp_path / "reqs").mkdir()
    (tmp_path / "reqs" / "dev.txt").write_text("pytest\n")
    (tmp_path / "localpkg").mkdir()
    deps = FlowDependencies(
        dependency_file="reqs/dev.txt",
        additional_dependencies=["requests>=2", "./wheels/x.whl", "localpkg", "~/y"],
    )
    assert dependencies(FlowSpec(dependencies=deps), str(tmp_path)) == [
        ["-r", str(tmp_path / "reqs" / "dev.txt")],
        ["requests>=2"],
        [str(tmp_path / "wheels" / "x.whl")],
        [str(tmp_path / "localpkg")],
        [os.path.expanduser("~/y")],
    ]
    single = FlowDependencies(dependency_file="no_file", additional_dependencies="pandas")
    assert dependencies(FlowSpec(dependencies=single), str(tmp_path)) == [["pandas"]]
    missing = FlowDependencies(dependency_file="nope.txt")
    with pytest.raises(FlowError, match="dependency_file not found: .*nope.txt"):
        dependencies(FlowSpec(dependencies=missing), str(tmp_path))


def test_registry_packages_missing_here_are_detected(tmp_path: Path) -> None:
    from inspect_flow._spec.dependencies import dependencies
    from inspect_flow._spec.models import FlowDependencies, FlowFactory, FlowSpec, FlowTask

    (tmp_path / "local_evals").mkdir()
    tasks = [
        FlowTask(name="missing_evals_pkg/gsm8k"),
        FlowTask(name="missing_evals_pkg/mmlu"),  # once
        FlowTask(factory=FlowFactory(function="other_missing_pkg/task")),
        FlowTask(name="json/x"),  # importable here
        FlowTask(name="tasks/file.py@x"),  # a file
        FlowTask(name="local_evals/x"),  # a folder next to the spec
    ]
    deps = FlowDependencies(dependency_file="no_file")
    spec = FlowSpec(dependencies=deps, tasks=tasks)
    assert dependencies(spec, str(tmp_path)) == [["missing-evals-pkg"], ["other-missing-pkg"]]
    spec.dependencies = FlowDependencies(dependency_file="no_file", auto_detect_dependencies=False)
    assert dependencies(spec, str(tmp_path)) == []


def test_another_python_without_uv_is_a_one_line_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    from inspect_flow._errors import FlowError
    from inspect_flow._spec import venv
    from inspect_flow._spec.models import FlowDependencies, FlowSpec

    monkeypatch.setattr(venv.shutil, "which", lambda name: None)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    other = "3.9" if sys.version_info[:2] != (3, 9) else "3.12"
    spec = FlowSpec(python_version=other, dependencies=FlowDependencies(dependency_file="no_file"))
    with pytest.raises(FlowError, match=rf"^python_version {other} needs uv .* this Python is"):
        with venv.temporary_venv(spec, str(tmp_path)):
            pass
    assert leftover_venvs(tmp_path) == []


@pytest.mark.parametrize(
    ("stderr", "line"),
    [
        (
            "Looking in indexes: x\nERROR: Could not find a version\n"
            "ERROR: No matching distribution found for nope\n",
            "ERROR: No matching distribution found for nope",
        ),
        (
            "error: No solution found when resolving dependencies\n"
            "  cause: Because nope was not found, the requirements are unsatisfiable.\n\n"
            "hint: the network was disabled\n",
            "error: No solution found when resolving dependencies: Because nope was not found, "
            "the requirements are unsatisfiable.",
        ),
        ("something odd\nlast words\n", "last words"),
        ("", "(no message)"),
    ],
)
def test_installer_errors_become_one_line(stderr: str, line: str) -> None:
    from inspect_flow._spec.venv import last_error_line

    assert last_error_line(stderr) == line
