"""Inspect Flow 0.14 API calls that must work unchanged: steps by keyword, spec helpers, errors."""

from __future__ import annotations

import typing
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.cli import flow_cli, isolated_cli, write_file
from helpers.logs import LogFactory, read_header
from inspect_ai.model import GenerateConfig

from inspect_flow import FlowModel, FlowSpec, FlowTask
from inspect_flow.api import (
    DisplayType,
    SpecModelRef,
    config,
    dump_spec,
    iter_model_refs,
    load_spec,
    metadata,
    tag,
)


@pytest.fixture(autouse=True)
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    yield from isolated_cli(tmp_path, monkeypatch)


def test_steps_take_logs_or_paths_by_keyword(work: Path, make_logs: LogFactory) -> None:
    paths = [str(p) for p in make_logs(work / "logs", n=2)]
    logs = tag(logs_or_paths=paths, add=["api"])
    assert [log.tags for log in logs] == [["api"], ["api"]]
    assert all(read_header(p).tags == ["api"] for p in paths)
    # The step's own first parameter name (``logs``) is accepted too.
    metadata(logs=paths, set={"k": 1})
    assert all(read_header(p).metadata == {"k": 1} for p in paths)
    with pytest.raises(TypeError, match="logs_or_paths"):
        tag(add=["x"])


def test_load_spec_of_a_missing_file_is_a_file_not_found_error(work: Path) -> None:
    with pytest.raises(FileNotFoundError, match="File not found: .*missing.py"):
        load_spec("missing.py")
    write_file(work / "spec.yaml", "log_dir: logs\nincludes: [gone.yaml]\n")
    with pytest.raises(FileNotFoundError):
        load_spec("spec.yaml")
    # The CLI renders it as one line, as a usage error.
    result = flow_cli("check", "spec.yaml")
    assert result.code == 2
    assert result.err_lines()[-1] == f"✗ Error: File not found: {work / 'gone.yaml'}"
    assert "Traceback" not in result.stderr


def test_config_returns_the_yaml_flow_config_prints(work: Path) -> None:
    write_file(
        work / "spec.py",
        "from inspect_flow import FlowSpec, FlowTask\n"
        "FlowSpec(log_dir='logs', tasks=[FlowTask(name='t.py@a', model='m/x')])\n",
    )
    printed = flow_cli("config", "spec.py")
    assert printed.code == 0
    assert config(load_spec("spec.py")) == printed.stdout
    built = FlowSpec(log_dir="logs", tasks=[FlowTask(name="t.py@a", model="m/x")])
    assert config(built, base_dir=str(work)) == printed.stdout
    assert dump_spec(built) == {"log_dir": "logs", "tasks": [{"name": "t.py@a", "model": "m/x"}]}


def test_iter_model_refs_finds_every_model_with_its_path_role_and_kind() -> None:
    grader = FlowModel(name="m/grader", role="grader")
    spec = FlowSpec.model_validate(
        {
            "defaults": {"model_prefix": {"m/": {"config": {"fallback_models": ["m/backup"]}}}},
            "tasks": [
                {
                    "name": "t.py@a",
                    "model": "m/x",
                    "model_roles": {"critic": ["m/c1", "m/c2"], "grader": grader},
                }
            ],
        }
    )
    refs = list(iter_model_refs(spec))
    assert refs == [
        SpecModelRef(
            "defaults.model_prefix.m/",
            FlowModel(config=GenerateConfig(fallback_models=["m/backup"])),
        ),
        SpecModelRef(
            "defaults.model_prefix.m/.config.fallback_models.0", "m/backup", None, "fallback"
        ),
        SpecModelRef("tasks.0.model", "m/x"),
        SpecModelRef("tasks.0.model_roles.critic.0", "m/c1", "critic", "model"),
        SpecModelRef("tasks.0.model_roles.critic.1", "m/c2", "critic", "fallback"),
        SpecModelRef("tasks.0.model_roles.grader", grader, "grader", "model"),
    ]


def test_display_type_lists_inspects_display_modes() -> None:
    assert typing.get_args(DisplayType) == ("full", "conversation", "rich", "plain", "log", "none")


def test_uv_sync_args_go_to_uv_and_need_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from inspect_flow import FlowDependencies
    from inspect_flow._errors import FlowError
    from inspect_flow._spec.venv import _uv_args

    listed = FlowSpec(dependencies=FlowDependencies(uv_sync_args=["--frozen", "--no-dev"]))
    text = FlowSpec(dependencies=FlowDependencies(uv_sync_args="--frozen --index-url 'a b'"))
    assert _uv_args(listed, "/bin/uv") == ["--frozen", "--no-dev"]
    assert _uv_args(text, "/bin/uv") == ["--frozen", "--index-url", "a b"]
    assert _uv_args(FlowSpec(), None) == []
    with pytest.raises(FlowError, match="uv_sync_args needs uv"):
        _uv_args(listed, None)


def test_after_instantiate_in_0_14_form_receives_the_tasks(work: Path) -> None:
    """0.14's hook is ``func(list[Task]) -> list[Task] | None``: one parameter of any name."""
    import shutil

    from inspect_flow.api import check

    shutil.copy(Path(__file__).parents[1] / "data" / "spec_corpus_014" / "parts.py", work)
    write_file(
        work / "spec.py",
        "from inspect_ai import task_with\n"
        "from inspect_flow import FlowSpec, FlowTask, after_instantiate\n"
        "\n"
        "@after_instantiate\n"
        "def limit_all(task_list):\n"
        "    return [task_with(t, message_limit=7) for t in task_list]\n"
        "\n"
        "FlowSpec(log_dir='logs',\n"
        "         tasks=[FlowTask(name='parts.py@corpus_hello', model='mockllm/model')])\n",
    )
    from inspect_flow._spec.instantiate import instantiate_tasks

    spec = load_spec("spec.py")
    (only,) = instantiate_tasks(spec, str(work))
    assert only.task.message_limit == 7
    assert check(spec).tasks[0].total_samples == 2
