"""A corpus of spec files written against Inspect Flow 0.14's field list loads, dumps and checks.

``tests/data/spec_corpus_014`` holds a YAML spec setting every YAML-expressible field of every
spec model, a Python spec with the Python-only forms (callables, inspect objects, factories), and
a spec built with the matrix helpers. Together they set every field of every model at least once.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers.cli import flow_cli, isolated_cli
from inspect_ai.model import GenerateConfig
from pydantic import BaseModel

from inspect_flow import FlowAgent, FlowModel, FlowSolver, FlowSpec, FlowTask
from inspect_flow.api import (
    SpecNotPortableError,
    check,
    dump_spec,
    load_spec,
    load_spec_data,
    validate_portable_spec,
)

DATA = Path(__file__).parents[1] / "data"
CORPUS = ["every_field.yaml", "every_field.py", "matrix.py"]
SURFACE = json.loads((DATA / "flow_0_14_surface.json").read_text())


@pytest.fixture(autouse=True)
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    for cli_work in isolated_cli(tmp_path, monkeypatch):
        shutil.copytree(DATA / "spec_corpus_014", cli_work, dirs_exist_ok=True)
        yield cli_work


def _fields_set(value: Any, found: dict[str, set[str]]) -> None:
    if isinstance(value, BaseModel):
        name = type(value).__name__.split("[")[0]  # FlowFactory[Task] -> FlowFactory
        for field in value.model_fields_set:
            found.setdefault(name, set()).add(field)
            _fields_set(getattr(value, field), found)
    elif isinstance(value, dict):
        for item in value.values():
            _fields_set(item, found)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _fields_set(item, found)


def test_the_corpus_sets_every_field_of_every_model() -> None:
    found: dict[str, set[str]] = {}
    for name in CORPUS:
        _fields_set(load_spec(name), found)
    # ``includes`` is consumed by loading: count it in the file as written.
    _fields_set(load_spec_data(yaml.safe_load(Path("every_field.yaml").read_text())), found)
    missing = {
        model: sorted({f["name"] for f in spec["fields"]} - found.get(model, set()))
        for model, spec in SURFACE["models"].items()
    }
    assert (
        {model: fields for model, fields in missing.items() if fields}
        == {
            # Set by `flow run` from a store setting, never written in a spec by hand.
        }
    )


@pytest.mark.parametrize("name", CORPUS)
def test_each_spec_loads_dumps_and_checks(name: str) -> None:
    spec = load_spec(name)
    data = dump_spec(spec)
    assert data["tasks"] and data["log_dir"]
    json.dumps(data)  # plain data: JSON can hold it
    result = check(spec)
    assert len(result.tasks) == len(spec.tasks or [])
    assert not result.is_complete  # no logs yet: every task is reported, none complete
    assert all(task.total_samples for task in result.tasks)


@pytest.mark.parametrize("name", CORPUS)
def test_flow_config_prints_the_dump_as_yaml_and_json(name: str) -> None:
    as_yaml = flow_cli("config", name)
    assert as_yaml.code == 0, as_yaml
    as_json = flow_cli("config", name, "--json")
    assert as_json.code == 0, as_json
    assert yaml.safe_load(as_yaml.stdout) == json.loads(as_json.stdout)
    assert json.loads(as_json.stdout) == json.loads(json.dumps(dump_spec(load_spec(name))))


def test_a_yaml_spec_is_portable_and_round_trips_through_its_dump() -> None:
    spec = load_spec("every_field.yaml")
    validate_portable_spec(spec)
    dumped = dump_spec(spec)
    again = load_spec_data(dumped)
    assert dump_spec(again) == dumped
    assert check(again, log_dir="logs").tasks[0].total_samples == 4


def test_a_python_spec_with_objects_is_not_portable() -> None:
    spec = load_spec("every_field.py")
    with pytest.raises(SpecNotPortableError) as info:
        validate_portable_spec(spec)
    paths = [v.path for v in info.value.violations]
    assert "store.filter" in paths
    assert "tasks.0.factory.factory" in paths
    assert "tasks.1.model" in paths
    assert "tasks.3" in paths
    assert info.value.hint and "registry name" in info.value.hint


def test_yaml_defaults_and_prefixes_apply_with_0_14_precedence() -> None:
    spec = load_spec("every_field.yaml")
    first, second, third = spec.tasks or []
    assert isinstance(first, FlowTask) and isinstance(second, FlowTask)
    assert isinstance(third, FlowTask)
    # Generate config: defaults.config < FlowTask.config < FlowModel.config (+ model_prefix).
    assert first.config == GenerateConfig(temperature=0.1, top_p=0.9)
    assert isinstance(first.model, FlowModel)
    assert first.model.config == GenerateConfig(temperature=0.3, max_tokens=64)
    assert first.model.memoize is False  # own setting (defaults.model says the same)
    # Solver defaults, then the matching solver prefix, then the solver's own args.
    solver = first.solver[0]
    assert isinstance(solver, FlowSolver)
    assert solver.args == {"tone": "friendly", "prefix": ""}
    # Agent defaults and agent prefix; the agent's own args win.
    agent = second.solver
    assert isinstance(agent, FlowAgent)
    assert agent.args == {"style": "brief"} and agent.flow_metadata == {"a": 1, "kind": "agent"}
    # Task defaults and the task prefix (matched on the task's name or factory reference).
    assert first.metadata == {"family": "arithmetic", "level": "all"}
    assert third.metadata == {"family": "arithmetic"}
    assert (first.epochs is not None, second.epochs, third.epochs) == (True, 1, 1)
    assert second.metadata is None and second.tags == ["defaulted"]
    # A model named by a string gets model defaults and prefixes too.
    assert isinstance(second.model, FlowModel)
    assert second.model.config == GenerateConfig(max_tokens=64)


def test_longest_prefix_wins_and_own_settings_win_over_it() -> None:
    from inspect_flow import FlowDefaults
    from inspect_flow._spec.defaults import task_with_defaults

    defaults = FlowDefaults(
        task=FlowTask(message_limit=1, turn_limit=1, time_limit=1),
        task_prefix={
            "pkg/": FlowTask(message_limit=2, turn_limit=2),
            "pkg/long": FlowTask(message_limit=3),
        },
        model_prefix={"a/": FlowModel(base_url="short"), "a/b": FlowModel(base_url="long")},
    )
    task = task_with_defaults(FlowTask(name="pkg/long_task", model="a/b-1"), defaults)
    assert (task.message_limit, task.turn_limit, task.time_limit) == (3, 2, 1)
    assert isinstance(task.model, FlowModel) and task.model.base_url == "long"
    own = task_with_defaults(FlowTask(name="pkg/long_task", message_limit=9), defaults)
    assert own.message_limit == 9
    other = task_with_defaults(FlowTask(name="other", model="c/d"), defaults)
    assert (other.message_limit, other.model) == (1, "c/d")  # no model default applies
    again = task_with_defaults(task, defaults)
    assert again == task  # applying defaults twice changes nothing


def test_old_shapes_still_load() -> None:
    from inspect_flow import FlowDefaults, FlowExtraArgs, FlowFactory

    old = FlowDefaults(model="mockllm/model", epochs=2, extra_args=FlowExtraArgs(task={"n": 1}))
    assert old.task == FlowTask(
        model="mockllm/model", epochs=2, extra_args=FlowExtraArgs(task={"n": 1})
    )
    assert FlowFactory(function="parts.py@corpus_sum").factory == "parts.py@corpus_sum"
    spec = FlowSpec.model_validate({"defaults": {"model": "mockllm/model", "message_limit": 3}})
    assert spec.defaults is not None and spec.defaults.task is not None
    assert spec.defaults.task.message_limit == 3


def test_matrix_helpers_expand_into_distinct_tasks() -> None:
    spec = load_spec("matrix.py")
    tasks = [t for t in spec.tasks or [] if isinstance(t, FlowTask)]
    assert len(tasks) == 6
    temperatures = [
        t.model.config.temperature
        for t in tasks[:4]
        if isinstance(t.model, FlowModel) and t.model.config
    ]
    assert temperatures == [0.0, 0.0, 1.0, 1.0]
    assert [t.args for t in tasks[:2]] == [{"n": 1}, {"n": 2}]
    assert all(t.config == GenerateConfig(max_tokens=10, seed=3) for t in tasks[:4])
    assert isinstance(tasks[5].solver, FlowAgent) and tasks[5].version == 3
