"""``CheckResult`` owns its JSON: ``to_json`` is the ``--json`` shape, ``from_json`` reads it."""

from __future__ import annotations

import json
import subprocess
import sys

from inspect_flow._check import CheckResult, CheckTask
from inspect_flow._spec.models import FlowTask


def sample() -> CheckResult:
    tasks = [
        CheckTask(
            name="addition",
            task=FlowTask(name="addition", args={"n": 2}),
            log_file="file:///tmp/logs/a.eval",
            samples=3,
            total_samples=3,
            duplicate_logs=["file:///tmp/logs/b.eval"],
            model="mockllm/model",
            differentiator="mockllm/model, n=2",
            tags=["reviewed"],
        ),
        CheckTask(
            name="greeting",
            task=FlowTask(name="greeting"),
            log_file=None,
            samples=0,
            total_samples=2,
            model="mockllm/model",
            differentiator="mockllm/model",
            reason="no log",
            filtered_logs=["file:///tmp/logs/c.eval"],
        ),
    ]
    return CheckResult(
        is_complete=False,
        tasks=tasks,
        unrecognized=["file:///tmp/logs/x.eval"],
        log_dir="file:///tmp/logs",
        unreadable={"file:///tmp/logs/bad.eval": "EOCD not found"},
        qualifier_header="Differentiator",
    )


def test_round_trip_keeps_every_field() -> None:
    result = sample()
    data = json.loads(json.dumps(result.to_json()))
    assert data["log_dir"] == "/tmp/logs"
    assert data["summary"] == {"total": 2, "complete": 1, "incomplete": 1}
    back = CheckResult.from_json(data, [t.task for t in result.tasks])
    assert back == result
    assert back.logs_found == 4


def test_from_json_without_tasks_names_them() -> None:
    back = CheckResult.from_json(sample().to_json())
    assert [t.task for t in back.tasks] == [FlowTask(name="addition"), FlowTask(name="greeting")]


def test_model_only_qualifiers_give_the_model_header() -> None:
    data = sample().to_json()
    data["tasks"][0]["differentiator"] = "mockllm/model"
    assert CheckResult.from_json(data).qualifier_header == "Model"
    for task in data["tasks"]:
        task["differentiator"] = ""
    assert CheckResult.from_json(data).qualifier_header is None


def test_check_package_has_no_import_cycle() -> None:
    """Each module of the package imports on its own, in a fresh interpreter."""
    for module in ("result", "match", "counting", "venv", "checker"):
        code = f"import inspect_flow._check.{module}"
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
