"""Spec models and loading: Python/YAML files, includes, _flow.py auto-includes, overrides."""

from __future__ import annotations

from pathlib import Path

import pytest
from inspect_ai.model import GenerateConfig

from inspect_flow._cli.main import run
from inspect_flow._errors import FlowUsageError, UserFileError
from inspect_flow._spec import (
    FlowDefaults,
    FlowModel,
    FlowOptions,
    FlowSpec,
    FlowStoreConfig,
    FlowTask,
    load_spec,
    models_matrix,
    tasks_matrix,
    tasks_with,
)
from inspect_flow._spec.load import load_spec_file


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_unknown_fields_are_errors() -> None:
    with pytest.raises(ValueError, match="Extra inputs"):
        FlowTask(name="x", modle="y")  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="Extra inputs"):
        FlowSpec(log_dirr="x")  # type: ignore[call-arg]
    assert FlowStoreConfig() == FlowStoreConfig(path="auto", filter=None, read=False, write=True)


def test_tasks_entries_are_normalised() -> None:
    spec = FlowSpec(tasks=["a.py@x", {"name": "b", "args": {"n": 1}}])
    assert spec.tasks == [FlowTask(name="a.py@x"), FlowTask(name="b", args={"n": 1})]


def test_matrix_helpers() -> None:
    tasks = tasks_matrix(task=["t.py@a"], model=["m/a", "m/b"], args=[{"n": 1}, {"n": 2}])
    assert [(t.model, t.args) for t in tasks] == [
        ("m/a", {"n": 1}),
        ("m/a", {"n": 2}),
        ("m/b", {"n": 1}),
        ("m/b", {"n": 2}),
    ]
    assert [t.epochs for t in tasks_with(task=tasks[:2], epochs=3)] == [3, 3]
    models = models_matrix(model=["m/a"], config=[GenerateConfig(temperature=t) for t in (0, 1)])
    assert [m.config.temperature for m in models if m.config] == [0, 1]
    with pytest.raises(ValueError, match="no field bogus"):
        tasks_with(task=["x"], bogus=1)


def test_python_spec_forms(tmp_path: Path) -> None:
    expr = write(
        tmp_path / "a.py", "from inspect_flow._spec import FlowSpec\nFlowSpec(log_dir='x')\n"
    )
    assert load_spec(str(expr)).log_dir == "x"
    assign = write(tmp_path / "b.py", "from inspect_flow._spec import FlowSpec\ns = FlowSpec()\n")
    assert load_spec(str(assign)).log_dir is None
    func = write(
        tmp_path / "c.py",
        "from inspect_flow._spec import FlowSpec\n"
        "def make(lang='en'):\n    return FlowSpec(log_dir='logs-' + lang)\n",
    )
    assert load_spec(str(func)).log_dir == "logs-en"
    assert load_spec(str(func), args={"lang": "fr"}).log_dir == "logs-fr"
    multi = write(tmp_path / "d.py", "a = b = 1\n")
    with pytest.raises(UserFileError, match="Only single target"):
        load_spec(str(multi))
    none = write(tmp_path / "e.py", "x = 1\n")
    with pytest.raises(UserFileError, match="No FlowSpec returned"):
        load_spec(str(none))
    with pytest.raises(FlowUsageError, match="Unsupported config file extension: .txt"):
        load_spec(str(write(tmp_path / "f.txt", "")))
    syntax = write(tmp_path / "g.py", "x = (\n")
    with pytest.raises(UserFileError) as info:
        load_spec(str(syntax))
    assert info.value.path == str(syntax) and info.value.line == 1


def test_includes_and_auto_includes(tmp_path: Path) -> None:
    write(
        tmp_path / "_flow.py",
        "from inspect_flow._spec import FlowSpec, FlowOptions\n"
        "FlowSpec(log_dir='root-logs', options=FlowOptions(limit=5, max_tasks=2))\n",
    )
    write(
        tmp_path / "sub" / "_flow.py",
        "from inspect_flow._spec import FlowSpec, FlowOptions\n"
        "SPEC = FlowSpec(options=FlowOptions(limit=7))\n",
    )
    write(tmp_path / "shared" / "base.yaml", "log_dir: base-logs\ntasks: [t.py@a]\n")
    spec_file = write(
        tmp_path / "sub" / "spec.yaml",
        "includes: [../shared/base.yaml]\noptions: {sample_shuffle: true}\n",
    )
    spec = load_spec(str(spec_file))
    assert spec.options == FlowOptions(limit=7, max_tasks=2, sample_shuffle=True)
    # the included file's relative log_dir and tasks are relative to its own folder
    assert spec.log_dir == str(tmp_path / "shared" / "base-logs")
    assert isinstance(spec.tasks[0], FlowTask) and spec.tasks[0]._base_dir == str(
        tmp_path / "shared"
    )
    assert spec.includes is None


def test_flow_file_ending_in_a_function_breaks_nothing(tmp_path: Path) -> None:
    write(tmp_path / "_flow.py", "def helper(log):\n    return True\n")
    spec = write(tmp_path / "spec.yaml", "log_dir: logs\n")
    assert load_spec(str(spec)).log_dir == "logs"


def test_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec_file = write(
        tmp_path / "spec.yaml", "log_dir: logs\noptions: {tags: [a]}\ntasks: [{name: t.py@x}]\n"
    )
    monkeypatch.chdir(tmp_path.parent)
    spec = load_spec_file(
        str(spec_file),
        sets=[
            ("options.tags", "b"),
            ("options.metadata", {"k": 1}),
            ("tasks.0.args.n", 3),
            ("defaults.config.temperature", 0.5),
        ],
        limit=2,
        log_dir="elsewhere",
    )
    assert spec.options is not None
    assert spec.options.tags == ["a", "b"] and spec.options.metadata == {"k": 1}
    assert spec.options.limit == 2
    assert spec.tasks is not None and spec.tasks[0].args == {"n": 3}
    assert spec.defaults == FlowDefaults(config=GenerateConfig(temperature=0.5))
    assert spec.log_dir == str(tmp_path.parent / "elsewhere")
    with pytest.raises(FlowUsageError, match="has no field 'limt'"):
        load_spec_file(str(spec_file), sets=[("options.limt", 1)])
    with pytest.raises(FlowUsageError, match="options.limit"):
        load_spec_file(str(spec_file), sets=[("options.limit", "many")])


def test_flow_config_prints_yaml(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec_file = write(
        tmp_path / "spec.py",
        "from inspect_flow._spec import FlowSpec, FlowTask, FlowModel\n"
        "FlowSpec(log_dir='logs', tasks=[FlowTask(name='t.py@a', model=FlowModel(name='m/x'))])\n",
    )
    code = run(["config", str(spec_file), "--limit", "3", "-s", "tasks.0.args.n=2"])
    out = capsys.readouterr().out
    assert code == 0
    assert out == (
        "log_dir: logs\noptions:\n  limit: 3\ntasks:\n- name: t.py@a\n  args:\n    n: 2\n"
        "  model:\n    name: m/x\n"
    )
    assert run(["config", str(spec_file), "-A", "novalue"]) == 2
    assert FlowModel(name="m") == FlowModel(name="m")


def test_each_spec_imports_the_modules_beside_it(tmp_path: Path) -> None:
    """Two specs in one process, each with its own ``tasks.py``: each gets its own."""
    import sys

    from inspect_flow._spec.instantiate import instantiate_tasks

    for name, size in (("a", 1), ("b", 3)):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "tasks.py").write_text(
            "from inspect_ai import Task, task\n"
            "from inspect_ai.dataset import Sample\n"
            "@task\n"
            "def sized():\n"
            f"    return Task(dataset=[Sample(input='x', target='x')] * {size})\n"
        )
        (folder / "spec.py").write_text(
            "from tasks import sized\n"
            "from inspect_flow import FlowSpec, FlowTask\n"
            "FlowSpec(log_dir='logs', tasks=[FlowTask(factory=sized)])\n"
        )
    try:
        sizes = []
        for name in ("a", "b", "a"):
            spec = load_spec_file(str(tmp_path / name / "spec.py"))
            [task] = instantiate_tasks(spec, str(tmp_path / name))
            sizes.append(task.expected_samples)
        assert sizes == [1, 3, 1]
    finally:
        sys.modules.pop("tasks", None)


def test_a_stray_stdlib_name_beside_a_spec_never_replaces_the_stdlib(tmp_path: Path) -> None:
    import json
    import sys

    (tmp_path / "json.py").write_text("raise RuntimeError('the decoy was imported')\n")
    (tmp_path / "spec.py").write_text(
        "import json\nfrom inspect_flow import FlowSpec\nFlowSpec(log_dir=json.dumps('logs'))\n"
    )
    assert load_spec_file(str(tmp_path / "spec.py")).log_dir == '"logs"'
    assert sys.modules["json"] is json
