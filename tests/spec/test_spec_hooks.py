"""``@after_load`` and ``@after_instantiate`` hooks: scope, order, replacement, errors."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.check_corpus import fresh_copy
from helpers.cli import flow_cli, isolated_cli, write_file

from inspect_flow._errors import FlowUsageError, UserFileError
from inspect_flow._spec import FlowOptions, FlowSpec, FlowTask, load_spec
from inspect_flow._spec import hooks as hooks_module
from inspect_flow._spec.hooks import after_instantiate, after_load
from inspect_flow._spec.load import expand_spec

DATA = Path(__file__).resolve().parents[1] / "data" / "check"

IMPORTS = """
from inspect_flow._spec import FlowSpec, FlowOptions
from inspect_flow._spec.hooks import after_load, after_instantiate
"""


def tagger(name: str) -> str:
    """Source of an after_load hook appending ``name`` to ``options.tags``."""
    return f"""
@after_load
def tag_{name.replace("-", "_")}(spec):
    spec.options = spec.options or FlowOptions()
    spec.options.tags = [*(spec.options.tags or []), "{name}"]
"""


@pytest.fixture(autouse=True)
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    hooks_module._reset_for_tests()
    monkeypatch.delenv("HOOK_SEEN", raising=False)
    yield from isolated_cli(tmp_path, monkeypatch)
    hooks_module._reset_for_tests()


def python_file(path: Path, body: str) -> Path:
    """Write a Python spec (or _flow.py) importing FlowSpec, FlowOptions and the decorators."""
    return write_file(path, IMPORTS + body)


def tags(spec: FlowSpec) -> list[str]:
    return list(spec.options.tags or []) if spec.options else []


def test_spec_file_hook_mutates_in_place_after_placeholders_once(work: Path) -> None:
    spec_file = python_file(
        work / "spec.py",
        """
@after_load
def record(spec):
    spec.options.tags = [*(spec.options.tags or []), spec.log_dir]

FlowSpec(log_dir="logs/{options.max_tasks}", options=FlowOptions(max_tasks=2))
""",
    )
    spec = load_spec(str(spec_file))
    assert tags(spec) == ["logs/2"]  # the hook saw the substituted log_dir
    assert spec._expanded and spec._base_dir == str(work)
    # check() expands again: an expanded spec is left as it is, the hook does not run twice
    assert expand_spec(spec, str(work)) is spec and tags(spec) == ["logs/2"]
    # the file is executed again on the next load: its hook is replaced, never duplicated
    assert tags(load_spec(str(spec_file))) == ["logs/2"]
    registered = [h for h in hooks_module._hooks.values() if h.qualname == "record"]
    assert len(registered) == 1


def test_in_place_changes_never_reach_a_flow_file_spec(work: Path) -> None:
    # the _flow.py runs once per process; its SPEC object serves every load below it
    write_file(
        work / "_flow.py",
        "from inspect_flow._spec import FlowSpec, FlowOptions\n"
        "SPEC = FlowSpec(options=FlowOptions(tags=['base'], metadata={'k': 'v'}))\n",
    )
    spec_file = python_file(
        work / "spec.py",
        """
@after_load
def more(spec):
    spec.options.tags.append("hooked")
    spec.options.metadata["k"] += "!"

FlowSpec(log_dir="logs")
""",
    )
    for _ in range(2):
        spec = load_spec(str(spec_file))
        assert spec.options is not None
        assert (spec.options.tags, spec.options.metadata) == (["base", "hooked"], {"k": "v!"})


def test_hook_returning_a_replacement(work: Path) -> None:
    spec_file = python_file(
        work / "spec.py",
        """
@after_load
def replace(spec):
    return FlowSpec(log_dir=spec.log_dir + "-replaced", tasks=["t.py@a"])

FlowSpec(log_dir="logs")
""",
    )
    spec = load_spec(str(spec_file))
    assert spec.log_dir == "logs-replaced"
    assert spec.tasks == [FlowTask(name="t.py@a")]
    # the replacement keeps what the loader recorded, so check() neither re-expands it
    # nor loses the folder relative paths are resolved against
    assert spec._expanded and spec._base_dir == str(work)
    assert spec._sources == [str(spec_file)]
    assert expand_spec(spec, "/elsewhere") is spec


def test_flow_file_hooks_are_scoped_to_their_tree(work: Path) -> None:
    # the _flow.py ends in the hook's definition: a trailing function contributes no spec
    python_file(work / "a" / "_flow.py", tagger("a-flow"))
    a_spec = write_file(work / "a" / "spec.yaml", "log_dir: logs\n")
    b_spec = write_file(work / "b" / "spec.yaml", "log_dir: logs\n")
    assert tags(load_spec(str(a_spec))) == ["a-flow"]
    # a sibling tree loaded later in the same process does not get a/_flow.py's hook
    assert tags(load_spec(str(b_spec))) == []
    result = flow_cli("config", "a/spec.yaml")
    assert result.code == 0, result
    assert result.stdout == "log_dir: logs\noptions:\n  tags:\n  - a-flow\n"
    assert flow_cli("config", "b/spec.yaml").stdout == "log_dir: logs\n"


def test_hooks_run_global_first_then_flow_files_includes_and_spec(work: Path) -> None:
    python_file(work / "_flow.py", tagger("root-flow"))
    python_file(work / "proj" / "_flow.py", tagger("proj-flow") + tagger("proj-flow-2"))
    python_file(work / "shared" / "inner.py", tagger("inner") + "FlowSpec()\n")
    python_file(
        work / "shared" / "outer.py",
        tagger("outer") + "FlowSpec(includes=['inner.py'])\n",
    )
    python_file(work / "shared" / "other.py", tagger("other") + "FlowSpec()\n")
    spec_file = python_file(
        work / "proj" / "spec.py",
        tagger("spec")
        + "FlowSpec(log_dir='logs', includes=['../shared/outer.py', '../shared/other.py'])\n",
    )

    def everywhere(spec: FlowSpec) -> None:
        spec.options = FlowOptions(tags=[*tags(spec), "global"])

    after_load(everywhere)  # defined outside any spec file: applies to every spec
    order = ["global", "root-flow", "proj-flow", "proj-flow-2", "inner", "outer", "other", "spec"]
    spec = load_spec(str(spec_file))
    assert tags(spec) == order
    # included files' hooks belong to specs that include them only
    alone = write_file(work / "alone" / "spec.yaml", "log_dir: x\n")
    assert tags(load_spec(str(alone))) == ["global", "root-flow"]
    # a spec built in Python gets the global hook and its base_dir's _flow.py chain
    built = expand_spec(FlowSpec(log_dir="x"), str(work / "proj"))
    assert tags(built) == ["global", "root-flow", "proj-flow", "proj-flow-2"]


def test_hook_that_raises_is_exit_4_with_path_and_line(work: Path) -> None:
    python_file(
        work / "spec.py",
        """
def helper(spec):
    return spec.options.limit + 1

@after_load
def broken(spec):
    value = 1
    return helper(spec)

FlowSpec(log_dir="logs")
""",
    )
    result = flow_cli("config", "spec.py")
    assert result.code == 4, result
    spec_path = str(work / "spec.py")
    # the innermost line in the hook's file: helper's body (line 5)
    assert result.err_lines() == [
        f"✗ Error: Error loading {spec_path}:5: @after_load broken: AttributeError: "
        "'NoneType' object has no attribute 'limit'"
    ]
    with pytest.raises(UserFileError) as info:
        load_spec(spec_path)
    assert (info.value.path, info.value.line) == (spec_path, 5)


def test_hook_returning_something_else_is_exit_4(work: Path) -> None:
    python_file(
        work / "spec.py",
        "\n@after_load\ndef wrong(spec):\n    return 42\n\nFlowSpec(log_dir='x')\n",
    )
    result = flow_cli("check", "spec.py")
    assert result.code == 4, result
    assert result.err_lines()[-1] == (
        f"✗ Error: Error loading {work / 'spec.py'}:4: @after_load wrong returned int, "
        "expected a FlowSpec or None"
    )


def test_decoration_errors_name_the_parameter(work: Path) -> None:
    with pytest.raises(FlowUsageError) as info:

        @after_instantiate
        def hook(tasks: list[object], model: str) -> None:
            return None

    assert str(info.value) == (
        "@after_instantiate function test_decoration_errors_name_the_parameter.<locals>.hook "
        "has an unknown parameter 'model' (it may take spec, tasks and config, by name)"
    )
    with pytest.raises(FlowUsageError, match="must take one argument"):
        after_load(lambda spec, other: None)
    assert hooks_module._hooks == {}  # nothing was registered
    # in a spec file the same error is a one-line usage error
    python_file(
        work / "spec.py",
        "\n@after_instantiate\ndef hook(*tasks):\n    pass\n\nFlowSpec()\n",
    )
    result = flow_cli("config", "spec.py")
    assert result.code == 2, result
    assert result.err_lines() == [
        "✗ Error: @after_instantiate function hook has an unknown parameter 'tasks' "
        "(it may take spec, tasks and config, by name)"
    ]


def test_decorators_return_the_function_unchanged() -> None:
    def load_hook(spec: FlowSpec) -> None:
        spec.log_dir = "changed"

    def inst_hook(**kwargs: object) -> None:
        return None

    assert after_load(load_hook) is load_hook and after_instantiate(inst_hook) is inst_hook
    spec = FlowSpec(log_dir="x")
    load_hook(spec)  # still an ordinary function
    assert spec.log_dir == "changed"
    assert [h.parameters for h in hooks_module._hooks.values()] == [
        ("spec",),
        ("spec", "tasks", "config"),
    ]


# -------------------------------------------------------------------------------------------------
# after_instantiate with real tasks and logs


@pytest.fixture
def proj(check_corpus: Path, work: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    project = fresh_copy(check_corpus, work / "proj")
    monkeypatch.chdir(project)
    return project


SPEC_N4 = """
from inspect_flow._spec import FlowSpec, FlowTask

FlowSpec(
    log_dir="logs",
    tasks=[FlowTask(name="tasks.py@addition", args={"n": 4}, model="mockllm/model")],
)
"""

HOOK_N2 = """
import os
from inspect_ai import task_with
from tasks import addition
from inspect_flow._spec.hooks import after_instantiate

@after_instantiate
def use_two(config, tasks, spec):
    os.environ["HOOK_SEEN"] = f"{config.base_dir}|{config.default_model}|{spec.log_dir}"
    return [task_with(addition(n=2), name=tasks[0].name, model=tasks[0].model)]
"""


def check_tasks(*args: str) -> tuple[int, list[tuple[str, int | None, int | None, bool]]]:
    result = flow_cli("check", *args, "--json")
    data = json.loads(result.stdout)
    return result.code, [
        (t["name"], t["samples"], t["total_samples"], t["complete"]) for t in data["tasks"]
    ]


def test_after_instantiate_replacement_changes_what_check_matches(proj: Path) -> None:
    write_file(proj / "plain.py", SPEC_N4)
    assert check_tasks("plain.py") == (3, [("tasks.py@addition", 0, 4, False)])
    assert "HOOK_SEEN" not in os.environ
    write_file(proj / "hooked.py", HOOK_N2 + SPEC_N4)
    # the hook swaps in addition(n=2), which the corpus has a complete log of
    assert check_tasks("hooked.py") == (0, [("tasks.py@addition", 2, 2, True)])
    assert os.environ["HOOK_SEEN"] == f"{proj}|none/none|logs"
    # scoped to hooked.py: plain.py, checked again in the same process, is unchanged
    assert check_tasks("plain.py") == (3, [("tasks.py@addition", 0, 4, False)])


@pytest.mark.parametrize(
    ("body", "line", "message"),
    [
        (
            "def drop(tasks):\n    return []",
            2,
            "drop returned list, expected None or a list of 1 Task objects",
        ),
        ("def boom(spec):\n    raise RuntimeError('no')", 4, "boom: RuntimeError: no"),
    ],
)
def test_after_instantiate_bad_return_and_raise_are_exit_4(
    proj: Path, body: str, line: int, message: str
) -> None:
    header = "from inspect_flow._spec.hooks import after_instantiate\n@after_instantiate\n"
    write_file(proj / "hooked.py", header + body + "\n" + SPEC_N4)
    result = flow_cli("check", "hooked.py")
    assert result.code == 4, result
    assert result.err_lines()[-1] == (
        f"✗ Error: Error loading {proj / 'hooked.py'}:{line}: @after_instantiate {message}"
    )
