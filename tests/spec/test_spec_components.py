"""Spec components: FlowSolver/FlowAgent/FlowScorer, FlowFactory, FlowExtraArgs, model factories,
the matrix helpers, and the 0.14 FlowSpec fields, checked against real logs of tiny tasks."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers.check_corpus import fresh_copy
from helpers.cli import flow_cli, isolated_cli

HEADER = (
    "from inspect_ai.model import GenerateConfig\n"
    "from inspect_flow import *\n"
    "from tasks import addition, greeting\n"
)


@pytest.fixture
def proj(check_corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh copy of the check corpus as the CWD (CLI registries isolated)."""
    for work in isolated_cli(tmp_path, monkeypatch):
        fresh_copy(check_corpus, work / "proj")
        monkeypatch.chdir(work / "proj")
        yield work / "proj"


def flow(*args: str) -> tuple[int, str, str]:
    result = flow_cli(*args)
    return result.code, result.stdout, result.stderr


def check_json(*args: str) -> tuple[int, dict[str, Any]]:
    code, out, err = flow("check", *args, "--json")
    assert out, err
    return code, json.loads(out)


def write(path: Path, body: str) -> str:
    path.write_text(HEADER + body)
    return path.name


def samples(data: dict[str, Any]) -> list[tuple[int, int | None]]:
    return [(t["samples"], t["total_samples"]) for t in data["tasks"]]


def test_flow_solver_by_name_is_part_of_identity(proj: Path) -> None:
    spec = write(
        proj / "solvers.py",
        "FlowSpec(log_dir='logs', tasks=[\n"
        "    FlowTask(factory=addition, model='mockllm/model',\n"
        "             solver=FlowSolver(name='answer_from_target')),\n"
        "    FlowTask(factory=greeting, model='mockllm/model', solver='fail_on_second'),\n"
        "])\n",
    )
    code, data = check_json(spec)
    assert code == 3
    # the same solver as the log's plan matches; another solver is another identity
    assert samples(data) == [(3, 3), (0, 2)]
    assert data["tasks"][1]["reason"] == "no log"


def test_yaml_solver_agent_and_scorer_entries(proj: Path) -> None:
    from inspect_ai._util.registry import registry_info

    from inspect_flow._spec.instantiate import instantiate_tasks
    from inspect_flow._spec.load import load_spec_file

    (proj / "agents.py").write_text(
        "from inspect_ai.agent import Agent, AgentState, agent\n"
        "@agent\n"
        "def echo(reply: str = 'ok') -> Agent:\n"
        "    async def execute(state: AgentState) -> AgentState:\n"
        "        return state\n"
        "    return execute\n"
    )
    (proj / "parts.yaml").write_text(
        "log_dir: logs\n"
        "tasks:\n"
        "  - name: tasks.py@addition\n"
        "    solver: {name: agents.py@echo, type: agent, args: {reply: hi}}\n"
        "    scorer: [{name: includes}, exact]\n"
        "  - name: tasks.py@greeting\n"
        "    solver: [{name: answer_from_target}]\n"
    )
    spec = load_spec_file("parts.yaml")
    first, second = instantiate_tasks(spec, str(proj))
    assert [registry_info(s).name for s in first.task.scorer or []] == [
        "inspect_ai/includes",
        "inspect_ai/exact",
    ]
    assert first.identity != second.identity
    plan_names = [registry_info(s).name for s in second.task.solver]  # type: ignore
    assert plan_names == ["answer_from_target"]


def test_unknown_solver_is_one_line_error(proj: Path) -> None:
    spec = write(
        proj / "bad_solver.py",
        "FlowSpec(log_dir='logs', tasks=[FlowTask(factory=addition, solver='no_such_solver')])\n",
    )
    code, out, err = flow("check", spec)
    assert code == 1 and out == ""
    assert err.count("\n") >= 1 and "Traceback" not in err
    assert "Could not create task addition" in err and "no_such_solver" in err


def test_flow_factory_and_extra_args(proj: Path) -> None:
    spec = write(
        proj / "factory.py",
        "FlowSpec(log_dir='logs',\n"
        "    defaults=FlowDefaults(model='mockllm/model',\n"
        "                          extra_args=FlowExtraArgs(task={'n': 2, 'unused': 1})),\n"
        "    tasks=[\n"
        "        FlowTask(factory=addition),\n"  # gets n=2 from the extra args
        "        FlowTask(factory=greeting),\n"  # accepts neither: silently not offered
        "        FlowTask(factory=FlowFactory(function='tasks.py@addition', args={'n': 4})),\n"
        "    ])\n",
    )
    code, data = check_json(spec)
    # explicit args win over extra ones (n=4: no such log)
    assert samples(data) == [(2, 2), (2, 2), (0, 4)]
    assert code == 3
    assert "/nested/" in data["tasks"][1]["log_file"]


def test_model_factory(proj: Path) -> None:
    spec = write(
        proj / "models.py",
        "from inspect_ai.model import get_model\n"
        "calls = []\n"
        "def make(name, config):\n"
        "    calls.append(name)\n"
        "    return get_model(name, config=config)\n"
        "FlowSpec(log_dir='logs', tasks=[\n"
        "    FlowTask(factory=addition, model=FlowModel(name='mockllm/model', factory=make)),\n"
        "    FlowTask(factory=greeting, model=FlowModel(factory=FlowFactory(\n"
        "        function=lambda: 'not a model'))),\n"
        "])\n",
    )
    code, out, err = flow("check", spec)
    assert code == 1 and out == "", err
    assert "returned str" not in err  # a str is taken as a model name
    assert "not a model" in err  # ...which inspect then cannot find
    (proj / spec).write_text((proj / spec).read_text().replace("'not a model'", "3"))
    code, out, err = flow("check", spec)
    assert code == 1 and "returned int, not an inspect Model" in err
    (proj / spec).write_text(
        HEADER + "from inspect_ai.model import get_model\n"
        "def make(name, config):\n"
        "    return get_model(name, config=config)\n"
        "FlowSpec(log_dir='logs', tasks=[\n"
        "    FlowTask(factory=addition, model=FlowModel(name='mockllm/model', factory=make)),\n"
        "])\n"
    )
    code, data = check_json(spec)
    assert code == 0 and samples(data) == [(3, 3)]


def test_matrix_helpers_expand_into_tasks(proj: Path) -> None:
    spec = write(
        proj / "matrix.py",
        "FlowSpec(log_dir='logs', tasks=tasks_matrix(\n"
        "    task=[addition], model=['mockllm/model'],\n"
        "    config=configs_matrix(temperature=[0.5, 0.7]),\n"
        "))\n",
    )
    code, data = check_json(spec)
    assert code == 3
    assert samples(data) == [(3, 3), (0, 3)]
    assert "/hot/" in data["tasks"][0]["log_file"]


def test_matrix_helper_values() -> None:
    from inspect_ai.model import GenerateConfig

    from inspect_flow import (
        FlowAgent,
        FlowScorer,
        FlowSolver,
        agents_with,
        configs_matrix,
        configs_with,
        scorers_matrix,
        solvers_matrix,
        solvers_with,
    )

    configs = configs_matrix(temperature=[0.0, 1.0], max_tokens=[10, 20])
    assert [(c.temperature, c.max_tokens) for c in configs] == [
        (0.0, 10),
        (0.0, 20),
        (1.0, 10),
        (1.0, 20),
    ]
    assert [c.seed for c in configs_with(config=configs[:2], seed=7)] == [7, 7]
    assert configs_matrix(config=GenerateConfig(seed=1), top_p=[0.5])[0].seed == 1
    solvers = solvers_matrix(solver=["a", FlowSolver(name="b")], args=[{"x": 1}, {"x": 2}])
    assert [(s.name, s.args) for s in solvers] == [
        ("a", {"x": 1}),
        ("a", {"x": 2}),
        ("b", {"x": 1}),
        ("b", {"x": 2}),
    ]
    assert solvers_with(solver="a", args={"y": 1}) == [FlowSolver(name="a", args={"y": 1})]
    assert agents_with(agent="react", args={}) == [FlowAgent(name="react", args={})]
    assert [s.name for s in scorers_matrix(scorer=["match", "includes"])] == ["match", "includes"]
    assert scorers_matrix(scorer="match", args=[{"location": "end"}]) == [
        FlowScorer(name="match", args={"location": "end"})
    ]
    with pytest.raises(ValueError, match="no field tempreature"):
        configs_matrix(tempreature=[0.1])
    with pytest.raises(ValueError, match="takes a list"):
        solvers_matrix(solver="a", args={"x": 1})


def test_spec_fields_of_0_14_and_set_paths(proj: Path) -> None:
    (proj / "fields.yaml").write_text(
        "log_dir: logs\n"
        "execution_type: inproc\n"
        "python_version: '3.11'\n"
        "env: {FLOW_TEST_VALUE: '1'}\n"
        "dependencies: {dependency_file: no_file, additional_dependencies: [numpy]}\n"
        "tasks: [tasks.py@greeting]\n"
    )
    code, out, err = flow(
        "config",
        "fields.yaml",
        "--set",
        "defaults.solver.name=generate",
        "--set",
        "defaults.solver.args.tool_calls=none",
    )
    assert code == 0, err
    for line in (
        "execution_type: inproc",
        "python_version: '3.11'",
        "  FLOW_TEST_VALUE: '1'",
        "  dependency_file: no_file",
        "  - numpy",
        "    name: generate",
        "      tool_calls: none",
    ):
        assert line in out.splitlines(), line
    (proj / "typo.yaml").write_text("log_dir: logs\nexecution_typ: venv\n")
    code, _, err = flow("config", "typo.yaml")
    assert code == 4 and "execution_typ" in err


def test_spec_env_is_set_while_tasks_are_instantiated(
    proj: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    monkeypatch.delenv("FLOW_SAMPLES", raising=False)
    (proj / "envtasks.py").write_text(
        "import os\n"
        "from tasks import addition as base\n"
        "from inspect_ai import task\n"
        "@task\n"
        "def addition():\n"
        "    return base(n=int(os.environ['FLOW_SAMPLES']))\n"
    )
    spec = write(
        proj / "envspec.py",
        "FlowSpec(log_dir='logs', env={'FLOW_SAMPLES': '2'}, tasks=[\n"
        "    FlowTask(name='envtasks.py@addition', model='mockllm/model')])\n",
    )
    code, data = check_json(spec)
    assert data["tasks"][0]["total_samples"] == 2
    assert "FLOW_SAMPLES" not in os.environ  # restored afterwards
    assert code == 3  # the task is named envtasks.py@addition: no log of that name


def test_missing_factory_file_is_one_line_naming_it(proj: Path) -> None:
    spec = write(
        proj / "nofile.py",
        "FlowSpec(log_dir='logs', tasks=[FlowTask(factory=FlowFactory(function='nope.py@x'))])\n",
    )
    code, out, err = flow("check", spec, "--display", "none")
    assert (code, out) == (1, "")
    assert err.strip() == "✗ Error: Task file not found: nope.py (for task nope.py@x)"
