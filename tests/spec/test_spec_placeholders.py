"""``{placeholder}`` substitution in specs: ``{DATETIME}``, ``{field.path}``, escapes, cycles."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from helpers.cli import flow_cli, isolated_cli, write_file
from inspect_ai.model import GenerateConfig

from inspect_flow._errors import FlowUsageError
from inspect_flow._spec import (
    FlowModel,
    FlowOptions,
    FlowSpec,
    FlowStoreConfig,
    FlowTask,
)
from inspect_flow._spec.load import expand_spec, load_spec_file
from inspect_flow._spec.placeholders import detach, log_file_timestamp, substitute_placeholders

NOW = datetime(2026, 11, 26, 11, 30, 5, tzinfo=timezone.utc)
STAMP = "2026-11-26T11-30-05-00-00"
STAMP_RE = r"\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-00-00"


@pytest.fixture(autouse=True)
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    yield from isolated_cli(tmp_path, monkeypatch)


def test_datetime_has_the_form_of_inspect_log_file_names() -> None:
    assert log_file_timestamp(NOW) == STAMP
    # another time zone is rendered in UTC, as inspect does
    paris = NOW.astimezone(timezone(timedelta(hours=1)))
    assert log_file_timestamp(paris) == STAMP
    # inspect names its logs <created>_<task>_<id>.eval with `created` cleaned the same way
    from inspect_ai._util.file import clean_filename_component

    assert log_file_timestamp(NOW) == clean_filename_component(NOW.isoformat(timespec="seconds"))


def test_placeholders_everywhere_in_the_tree() -> None:
    spec = FlowSpec(
        log_dir="logs/{DATETIME}",
        options=FlowOptions(
            limit=3,
            tags=["run-{options.limit}", "plain"],
            metadata={"dir": "{log_dir}", "nested": {"list": ["{DATETIME}"]}, "n": 7},
        ),
        store=FlowStoreConfig(path="/stores/{options.metadata.n}"),
        tasks=[
            FlowTask(
                name="t.py@a",
                args={"out": "{log_dir}/a", "shuffle": "{options.sample_shuffle}"},
                model=FlowModel(
                    name="m/x",
                    config=GenerateConfig(system_message="at {DATETIME}"),
                    model_args={"url": "http://h/{tasks.0.model.name}"},
                ),
                metadata={"pair": ("{options.limit}", "{store.path}")},
            )
        ],
    )
    result = substitute_placeholders(spec, NOW)
    assert result.log_dir == f"logs/{STAMP}"
    assert result.options is not None
    assert result.options.tags == ["run-3", "plain"]
    assert result.options.metadata == {
        "dir": f"logs/{STAMP}",
        "nested": {"list": [STAMP]},
        "n": 7,
    }
    assert result.store == FlowStoreConfig(path="/stores/7")
    task = result.tasks[0] if result.tasks else None
    assert isinstance(task, FlowTask) and isinstance(task.model, FlowModel)
    # a field that is None (sample_shuffle) names nothing: the placeholder stays
    assert task.args == {"out": f"logs/{STAMP}/a", "shuffle": "{options.sample_shuffle}"}
    assert task.model.config == GenerateConfig(system_message=f"at {STAMP}")
    assert task.model.model_args == {"url": "http://h/m/x"}
    assert task.metadata == {"pair": ("3", "/stores/7")}


def test_scalar_values_of_every_kind_and_dict_keys_untouched() -> None:
    spec = FlowSpec(
        log_dir="x",
        log_dir_create_unique=True,
        options=FlowOptions(retry_wait=1.5, metadata={"{log_dir}": "k"}),
        tasks=[FlowTask(name="{options.retry_wait}/{log_dir_create_unique}/{tasks.0.version}")],
    )
    assert spec.tasks is not None
    spec.tasks[0].version = 2
    result = substitute_placeholders(spec, NOW)
    assert result.tasks is not None and result.tasks[0].name == "1.5/True/2"
    assert result.options is not None and result.options.metadata == {"{log_dir}": "k"}


def test_unknown_names_json_and_templates_are_left_alone() -> None:
    text = (
        'Solve {n} problems; {"a": 1}; {options}; {tasks}; {nope.x}; {log_dir.x}; '
        "{ log_dir }; {DATETIME!r}; {}; {0}; {1a}"
    )
    spec = FlowSpec(log_dir="L", options=FlowOptions(metadata={"prompt": text}))
    result = substitute_placeholders(spec, NOW)
    assert result.options is not None and result.options.metadata == {"prompt": text}
    assert result is spec  # nothing changed: nothing copied


def test_double_braces_escape_known_names_only() -> None:
    spec = FlowSpec(
        log_dir="L",
        options=FlowOptions(
            metadata={"a": "{{DATETIME}} {{log_dir}} {log_dir}", "b": "{{n}} {{ x }} }}{{"}
        ),
    )
    result = substitute_placeholders(spec, NOW)
    assert result.options is not None
    assert result.options.metadata == {"a": "{DATETIME} {log_dir} L", "b": "{{n}} {{ x }} }}{{"}


def test_fields_are_resolved_before_they_are_used() -> None:
    spec = FlowSpec(
        options=FlowOptions(metadata={"c": "{options.metadata.b}!", "b": "{log_dir}/b"}),
        log_dir="{store.path}/logs",
        store=FlowStoreConfig(path="s3://bucket/{DATETIME}"),
    )
    result = substitute_placeholders(spec, NOW)
    assert result.log_dir == f"s3://bucket/{STAMP}/logs"
    assert result.options is not None
    assert result.options.metadata == {
        "c": f"s3://bucket/{STAMP}/logs/b!",
        "b": f"s3://bucket/{STAMP}/logs/b",
    }


def test_cycles_are_one_line_usage_errors(work: Path) -> None:
    spec = FlowSpec(log_dir="{store.path}/x", store=FlowStoreConfig(path="{log_dir}"))
    with pytest.raises(FlowUsageError) as info:
        substitute_placeholders(spec, NOW)
    assert str(info.value) == "Placeholder cycle in the spec: store.path -> log_dir -> store.path"
    itself = FlowSpec(log_dir="a", options=FlowOptions(metadata={"k": "{options.metadata.k}"}))
    with pytest.raises(FlowUsageError, match=r"cycle in the spec: options\.metadata\.k -> opt"):
        substitute_placeholders(itself, NOW)
    # on the command line: exit 2, one line on stderr
    write_file(work / "spec.yaml", "log_dir: '{options.metadata.d}'\noptions:\n  metadata:\n")
    with (work / "spec.yaml").open("a") as f:
        f.write("    d: '{log_dir}'\n")
    result = flow_cli("config", "spec.yaml")
    assert result.code == 2, result
    assert result.err_lines() == [
        "✗ Error: Placeholder cycle in the spec: log_dir -> options.metadata.d -> log_dir"
    ]


def test_private_attributes_and_fields_set_are_kept_and_originals_untouched(work: Path) -> None:
    options = FlowOptions(metadata={"d": "{log_dir}"})
    task = FlowTask(name="t.py@a", args={"d": "{log_dir}"})
    task._base_dir = "/somewhere"
    spec = FlowSpec(log_dir="logs", options=options, tasks=[task])
    spec._base_dir = "/base"
    spec._expanded = True
    spec._sources = ["/base/spec.py"]
    result = substitute_placeholders(spec, NOW)
    assert result is not spec
    assert (result._base_dir, result._expanded, result._sources) == (
        "/base",
        True,
        ["/base/spec.py"],
    )
    new_task = result.tasks[0] if result.tasks else None
    assert isinstance(new_task, FlowTask)
    assert new_task._base_dir == "/somewhere" and new_task.args == {"d": "logs"}
    assert result.model_fields_set == {"log_dir", "options", "tasks"}
    assert new_task.model_fields_set == {"name", "args"}
    assert result.options is not None and result.options.model_fields_set == {"metadata"}
    # the caller's objects (possibly shared with a _flow.py) still hold the placeholders
    assert options.metadata == {"d": "{log_dir}"} and task.args == {"d": "{log_dir}"}
    # an object shared by two tasks is substituted once and stays shared
    model = FlowModel(name="m/{log_dir}")
    shared = substitute_placeholders(
        FlowSpec(
            log_dir="L", tasks=[FlowTask(name="a", model=model), FlowTask(name="b", model=model)]
        ),
        NOW,
    )
    assert shared.tasks is not None
    assert shared.tasks[0].model is shared.tasks[1].model
    assert shared.tasks[0].model == FlowModel(name="m/L")


def test_detach_copies_every_container_and_shares_other_objects() -> None:
    def factory() -> None:
        return None

    task = FlowTask(factory=factory, args={"a": [1, {"b": 2}]}, model=FlowModel(name="m"))
    task._base_dir = "/t"
    spec = FlowSpec(log_dir="{x}", options=FlowOptions(tags=["t"]), tasks=[task])
    spec._base_dir = "/s"
    copied = detach(spec)
    assert copied == spec and copied._base_dir == "/s" and copied.log_dir == "{x}"
    assert copied.model_fields_set == spec.model_fields_set
    assert copied.tasks is not None and copied.options is not None and spec.options is not None
    new_task = copied.tasks[0]
    assert new_task._base_dir == "/t" and new_task.model_fields_set == task.model_fields_set
    pairs = [
        (copied.tasks, spec.tasks),
        (new_task, task),
        (new_task.args, task.args),
        (new_task.args["a"], task.args["a"]),  # type: ignore[index]
        (new_task.args["a"][1], task.args["a"][1]),  # type: ignore[index]
        (new_task.model, task.model),
        (copied.options.tags, spec.options.tags),
    ]
    assert all(new == old and new is not old for new, old in pairs)
    assert new_task.factory is factory


def test_functions_and_inspect_tasks_are_left_alone() -> None:
    from inspect_ai import Task
    from inspect_ai.dataset import Sample

    def factory() -> Task:
        return Task(dataset=[Sample(input="{log_dir}")], name="{log_dir}")

    made = factory()
    spec = FlowSpec(log_dir="L", tasks=[FlowTask(factory=factory, args={"x": "{log_dir}"}), made])
    result = substitute_placeholders(spec, NOW)
    assert result.tasks is not None
    assert result.tasks[0].factory is factory and result.tasks[0].args == {"x": "L"}
    assert result.tasks[1] is made and made.name == "{log_dir}"


def test_loading_substitutes_after_overrides_with_one_datetime(
    work: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_file(
        work / "_flow.py",
        """
        from inspect_flow._spec import FlowSpec, FlowOptions
        SPEC = FlowSpec(options=FlowOptions(metadata={"from_flow": "{log_dir}@{DATETIME}"}))
        """,
    )
    spec_file = write_file(
        work / "spec.py",
        """
        from inspect_flow._spec import FlowSpec, FlowTask
        FlowSpec(
            log_dir="logs/{DATETIME}",
            tasks=[FlowTask(name="t.py@a", args={"when": "{DATETIME}", "dir": "{log_dir}"})],
        )
        """,
    )
    spec = load_spec_file(
        str(spec_file), sets=[("options.metadata.set", "{options.limit}")], limit=4
    )
    assert spec.log_dir is not None
    match = re.fullmatch(rf"logs/({STAMP_RE})", spec.log_dir)
    assert match is not None
    stamp = match.group(1)
    assert spec.tasks is not None and spec.tasks[0].args == {"when": stamp, "dir": spec.log_dir}
    assert spec.options is not None
    assert spec.options.metadata == {"from_flow": f"{spec.log_dir}@{stamp}", "set": "4"}
    # --log-dir is applied before placeholders: {log_dir} is the overriding directory
    again = load_spec_file(str(spec_file), log_dir="/elsewhere")
    assert again.tasks is not None and again.tasks[0].args["dir"] == "/elsewhere"
    # the _flow.py's own spec object still holds its placeholders for the next load
    from inspect_flow._discovery import load_python_file

    flow_spec = load_python_file(work / "_flow.py").SPEC
    assert flow_spec.options.metadata == {"from_flow": "{log_dir}@{DATETIME}"}  # no --set either


def test_python_built_spec_is_substituted_once_by_expand(work: Path) -> None:
    spec = FlowSpec(
        log_dir="logs", options=FlowOptions(metadata={"d": "{log_dir}", "e": "{{log_dir}}"})
    )
    expanded = expand_spec(spec, str(work))
    assert expanded.options is not None
    assert expanded.options.metadata == {"d": "logs", "e": "{log_dir}"}
    # a second expansion is a no-op: the escaped text is not substituted again
    assert expand_spec(expanded, str(work)) is expanded
    assert expanded.options.metadata["e"] == "{log_dir}"
    assert spec.options is not None and spec.options.metadata == {
        "d": "{log_dir}",
        "e": "{{log_dir}}",
    }


def test_flow_config_shows_substituted_values(work: Path) -> None:
    write_file(
        work / "spec.yaml",
        """
        log_dir: "logs/{options.metadata.team}"
        options:
          limit: 2
          metadata: {team: red, prompt: "{n} + {n}", when: "{DATETIME}"}
        tasks:
          - name: "t.py@a"
            args: {dir: "{log_dir}", limit: "{options.limit}", literal: "{{log_dir}}"}
        """,
    )
    result = flow_cli("config", "spec.yaml", "--set", 'options.tags=["{options.metadata.team}"]')
    assert result.code == 0, result
    when = re.search(rf"when: '?({STAMP_RE})'?", result.stdout)
    assert when is not None
    assert result.stdout == (
        "log_dir: logs/red\n"
        "options:\n"
        "  tags:\n"
        "  - red\n"
        "  metadata:\n"
        "    team: red\n"
        "    prompt: '{n} + {n}'\n"
        f"    when: {when.group(0).split(': ', 1)[1]}\n"
        "  limit: 2\n"
        "tasks:\n"
        "- name: t.py@a\n"
        "  args:\n"
        "    dir: logs/red\n"
        "    limit: '2'\n"
        "    literal: '{log_dir}'\n"
    )
