"""flow check: real logs of tiny offline tasks, matched against Python and YAML specs."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers.check_corpus import fresh_copy

from inspect_flow._cli.main import run

DATA = Path(__file__).resolve().parents[1] / "data" / "check"


@pytest.fixture
def proj(check_corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    project = fresh_copy(check_corpus, tmp_path / "proj")
    shutil.copy(DATA / "spec.py", project / "spec.py")
    shutil.copy(DATA / "spec.yaml", project / "spec.yaml")
    monkeypatch.chdir(project)
    monkeypatch.setenv("COLUMNS", "80")
    return project


def flow(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def normalise(data: Any, root: Path) -> Any:
    """Make JSON comparable with a golden file: no tmp paths, no timestamps or random ids."""
    text = json.dumps(data, indent=2, sort_keys=True)
    text = text.replace(str(root), "<root>")
    text = re.sub(r"\d{4}-\d{2}-\d{2}T[\d-]+_(\w+?)_[A-Za-z0-9]{22}\.eval", r"<\1>.eval", text)
    return json.loads(text)


def check_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code, out, _ = flow(capsys, "check", *args, "--json")
    return code, json.loads(out)


def test_python_spec_json_matches_golden(proj: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, data = check_json(capsys, "spec.py")
    assert code == 3
    golden = json.loads((DATA / "golden_spec.json").read_text())
    assert normalise(data, proj) == golden


def test_yaml_spec_gives_the_same_answer(proj: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, from_py = check_json(capsys, "spec.py")
    code, from_yaml = check_json(capsys, "spec.yaml")
    assert code == 3
    # The factory task is named `addition`; the YAML one `tasks.py@addition` (Flow 0.14 naming).
    for task in from_yaml["tasks"]:
        task["name"] = task["name"].removeprefix("tasks.py@")
    for task in from_py["tasks"]:
        task["name"] = task["name"].removeprefix("tasks.py@")
    assert from_yaml == from_py


def test_same_answer_from_any_cwd(
    proj: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, here = check_json(capsys, "spec.py")
    monkeypatch.chdir(proj.parent)
    _, parent = check_json(capsys, "proj/spec.py")
    monkeypatch.chdir("/")
    _, root = check_json(capsys, str(proj / "spec.py"))
    assert here == parent == root
    assert here["summary"] == {"total": 5, "complete": 3, "incomplete": 2}


def test_text_output(proj: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = flow(capsys, "check", "spec.py")
    assert code == 3
    lines = out.splitlines()
    assert "Check: 3/5 tasks complete (1 log incomplete, 1 task with no log)" in lines
    assert "Log dir: logs" in lines
    assert "ℹ Duplicate logs:" in lines and "⚠ Unexpected logs:" in lines
    assert any(re.fullmatch(r"logs/hot/.*_addition_\w+\.eval", line) for line in lines)
    assert "tasks.py@flaky (mockllm/model): too few samples (1/2, log status error)" in lines
    assert "tasks.py@addition (mockllm/model, n=4): no log" in lines
    assert "✓ Check for existing logs Found 7 existing logs in log directory" in err
    assert out.count("\n") > 10


def test_table_keeps_task_and_samples_at_80_columns(
    proj: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    deep = proj / "logs" / ("very_long_folder_name_" * 4)
    shutil.move(str(proj / "logs" / "nested"), str(deep))
    code, out, _ = flow(capsys, "check", "spec.py")
    table = out.split("\n\n")[0].splitlines()
    assert all(len(line.rstrip()) <= 80 for line in table)
    rows = [line for line in table[3:] if line.strip()]
    assert [r.split()[0] for r in rows] == [
        "addition",
        "tasks.py@addition",
        "tasks.py@greeting",
        "tasks.py@flaky",
        "tasks.py@addition",
    ]
    assert [r.split()[-1] for r in rows] == ["3/3", "2/2", "2/2", "1/2", "0/4"]
    assert "…" in out and "greeting" in out


def test_corrupt_log_is_listed_and_never_aborts(
    proj: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = proj / "logs" / "2026-01-01T00-00-00-00-00_addition_AAAAAAAAAAAAAAAAAAAAAA.eval"
    bad.write_bytes(b"not a zip at all")
    code, data = check_json(capsys, "spec.py")
    assert code == 3
    assert [u["log"] for u in data["unreadable"]] == [bad.as_uri()]
    assert data["summary"]["complete"] == 3
    code, out, _ = flow(capsys, "check", "spec.py")
    assert "✗ Unreadable logs:" in out and bad.name in out


def test_complete_spec_exits_0_and_unreadable_exits_1(
    proj: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = flow(capsys, "check", "spec.py", "-s", "tasks=[]", "--log-dir", "logs/nested")
    assert code == 0 and "Check: 0/0 tasks complete" in out
    spec = "from inspect_flow._spec import FlowSpec, FlowTask\n"
    spec += "FlowSpec(log_dir='logs', tasks=[FlowTask(name='tasks.py@addition', args={'n': 2}, "
    spec += "model='mockllm/model')])\n"
    (proj / "one.py").write_text(spec)
    code, out, _ = flow(capsys, "check", "one.py")
    assert code == 0 and "Check: 1/1 task complete" in out
    (proj / "logs" / "2026-01-01T00-00-00-00-00_x_AAAAAAAAAAAAAAAAAAAAAA.eval").write_bytes(b"x")
    code, out, err = flow(capsys, "check", "one.py")
    assert code == 1 and "1 log could not be read" in err


@pytest.fixture
def clean_registry() -> Iterator[None]:
    """Forget the filters a test's _flow.py registered (the registry is process-wide)."""
    from inspect_flow import _registry

    before = dict(_registry._REGISTRY.filters)
    yield
    _registry._REGISTRY.filters.clear()
    _registry._REGISTRY.filters.update(before)


def test_filter_restricts_counted_logs(
    proj: Path, capsys: pytest.CaptureFixture[str], clean_registry: None
) -> None:
    from inspect_ai.log import read_eval_log, write_eval_log

    (proj / "_flow.py").write_text(
        "from inspect_flow._filters import log_filter\n\n"
        "@log_filter\n"
        "def check_reviewed(log):\n"
        "    return 'reviewed' in (log.eval.tags or [])\n"
    )
    nested = next((proj / "logs" / "nested").glob("*.eval"))
    log = read_eval_log(str(nested))
    log.eval.tags = ["reviewed"]
    write_eval_log(log, str(nested))
    code, data = check_json(capsys, "spec.py", "--filter", "check_reviewed")
    assert code == 3
    by_name = {(t["name"], t["total_samples"]): t for t in data["tasks"]}
    greeting = by_name[("tasks.py@greeting", 2)]
    assert greeting["complete"] and greeting["log_file"] == nested.as_uri()
    assert greeting["filtered_logs"] and not greeting["duplicate_logs"]
    addition = by_name[("addition", 3)]
    assert addition["reason"] == "only filtered-out logs (2 logs)"
    code, data = check_json(capsys, "spec.py", "--exclude", "check_reviewed")
    greeting = {t["name"]: t for t in data["tasks"]}["tasks.py@greeting"]
    assert greeting["samples"] == 1 and greeting["filtered_logs"] == [nested.as_uri()]
    code, _, err = flow(capsys, "check", "spec.py", "--filter", "nope")
    assert code == 2 and "nope" in err


def test_overrides(proj: Path, capsys: pytest.CaptureFixture[str], monkeypatch: Any) -> None:
    _, data = check_json(capsys, "spec.py", "--limit", "1")
    assert [t["total_samples"] for t in data["tasks"]] == [1, 1, 1, 1, 1]
    assert data["summary"]["complete"] == 4
    _, same = check_json(capsys, "spec.py", "-s", "options.limit=1")
    assert same == data
    monkeypatch.chdir(proj / "logs")
    _, nested = check_json(capsys, "../spec.py", "--log-dir", "nested")
    assert nested["log_dir"] == str(proj / "logs" / "nested")
    assert [t["samples"] for t in nested["tasks"]] == [0, 0, 2, 0, 0]


def test_epochs_and_config_in_identity(proj: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (proj / "ep.py").write_text(
        "from inspect_ai.model import GenerateConfig\n"
        "from inspect_flow._spec import FlowSpec, FlowTask\n"
        "def spec(temperature='0.5'):\n"
        "    return FlowSpec(log_dir='logs', tasks=[\n"
        "        FlowTask(name='tasks.py@addition', model='mockllm/model', epochs=2),\n"
        "        FlowTask(name='tasks.py@addition', model='mockllm/model',\n"
        "                 config=GenerateConfig(temperature=float(temperature))),\n"
        "    ])\n"
    )
    code, data = check_json(capsys, "ep.py")
    assert code == 0
    epochs, hot = data["tasks"]
    assert (epochs["samples"], epochs["total_samples"]) == (6, 6)
    assert "/epochs/" in epochs["log_file"] and len(epochs["duplicate_logs"]) == 1
    assert "/hot/" in hot["log_file"]
    code, data = check_json(capsys, "ep.py", "-A", "temperature=0.7")
    assert code == 3 and data["tasks"][1]["reason"] == "no log"


def test_duplicate_spec_tasks_are_an_error(proj: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (proj / "dup.yaml").write_text(
        "log_dir: logs\ntasks:\n"
        "  - {name: tasks.py@addition, model: mockllm/model}\n"
        "  - {name: tasks.py@addition, model: mockllm/model, epochs: 2}\n"
    )
    code, out, err = flow(capsys, "check", "dup.yaml")
    assert code == 1 and out == ""
    assert "Duplicate task found: tasks[0] and tasks[1]" in err


def test_broken_spec_files_exit_4_with_line(proj: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (proj / "bad.py").write_text("x = 1\nraise ValueError('nope')\n")
    code, _, err = flow(capsys, "check", "bad.py")
    assert code == 4 and f"{proj / 'bad.py'}:2" in err and "nope" in err
    (proj / "bad.yaml").write_text(
        "log_dir: logs\ntasks:\n  - name: tasks.py@addition\n    modle: x\n"
    )
    code, _, err = flow(capsys, "check", "bad.yaml")
    assert code == 4 and f"{proj / 'bad.yaml'}:4" in err and "modle" in err
    code, _, err = flow(capsys, "check", "missing.py")
    assert code == 2 and "does not exist" in err


def test_no_log_dir_is_a_usage_error(proj: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (proj / "nolog.yaml").write_text("tasks: [tasks.py@greeting]\n")
    code, _, err = flow(capsys, "check", "nolog.yaml")
    assert code == 2 and "log_dir must be set" in err


def test_python_api(proj: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from inspect_flow._check import check
    from inspect_flow._spec import load_spec

    spec = load_spec("spec.py")
    assert spec.log_dir == "logs"
    monkeypatch.chdir("/")
    result = check(spec, log_dir=str(proj / "logs" / "nested"))
    assert [t.samples for t in result.tasks] == [0, 0, 2, 0, 0]
    result = check(spec, filter=lambda log: log.eval.task == "greeting")
    assert not result.is_complete
    assert [t.complete for t in result.tasks] == [False, False, True, False, False]
    assert result.tasks[0].reason == "only filtered-out logs (2 logs)"
