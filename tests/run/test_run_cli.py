"""flow run through the real CLI: the pre-run table, dry runs, records, exit codes, log dirs."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml
from helpers.cli import flow_cli
from helpers.logs import LogFactory, read_header

RUN_FOLDER = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}$")


def eval_logs(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.eval"))


def test_dry_run_shows_the_table_and_writes_nothing(proj: Path) -> None:
    result = flow_cli("run", "spec.py", "--dry-run")
    assert result.code == 0, result
    assert "Running 2 tasks (0 tasks complete)" in result.stdout
    assert re.search(r"addition\s+mockllm/model\s+0/2", result.stdout)
    assert "Log dir: logs" in result.stdout
    assert "Dry run: nothing was run, copied or written." in result.stdout
    assert "No existing logs found in log directory" in result.stderr
    assert not (proj / "logs").exists()


def test_dry_run_json_has_the_check_shape(proj: Path) -> None:
    result = flow_cli("run", "spec.py", "--dry-run", "--json")
    assert result.code == 0, result
    data = json.loads(result.stdout)
    assert data["log_dir"] == str(proj / "logs")
    assert [(t["name"], t["samples"], t["total_samples"]) for t in data["tasks"]] == [
        ("addition", 0, 2),
        ("greeting", 0, 2),
    ]
    assert data["summary"] == {"total": 2, "complete": 0, "incomplete": 2}
    assert data["unrecognized"] == []


def test_json_needs_dry_run(proj: Path) -> None:
    result = flow_cli("run", "spec.py", "--json")
    assert result.code == 2
    assert result.err_lines()[-1].startswith("✗ Error: --json is only supported with --dry-run.")
    assert not (proj / "logs").exists()


def test_run_completes_records_the_spec_and_check_agrees(proj: Path) -> None:
    result = flow_cli("run", "spec.py")
    assert result.code == 0, result
    assert "Running 2 tasks (0 tasks complete)" in result.stdout
    assert result.out_lines()[-1] == "Completed 2 tasks"
    logs = proj / "logs"
    assert len(eval_logs(logs)) == 2
    assert all(read_header(p).status == "success" for p in eval_logs(logs))
    records = ("flow.yaml", "flow-requirements.txt", "eval-set.json", ".eval-set-id", "logs.json")
    for name in records:
        assert (logs / name).is_file(), name
    recorded = yaml.safe_load((logs / "flow.yaml").read_text())
    assert recorded["log_dir"] == str(logs)
    assert recorded["log_dir_create_unique"] is False
    assert [t["model"] for t in recorded["tasks"]] == ["mockllm/model", "mockllm/model"]
    assert "inspect_ai==" in (logs / "flow-requirements.txt").read_text()
    assert flow_cli("check", "spec.py").code == 0


def test_second_run_reuses_complete_logs(proj: Path) -> None:
    assert flow_cli("run", "spec.py").code == 0
    before = eval_logs(proj / "logs")
    result = flow_cli("run", "spec.py")
    assert result.code == 0, result
    assert "Running 2 tasks (2 tasks complete)" in result.stdout
    assert result.out_lines()[-1] == "Completed 2 tasks"
    assert eval_logs(proj / "logs") == before


def test_failed_samples_exit_3_and_a_rerun_completes(proj: Path) -> None:
    result = flow_cli("run", "spec.py", env={"FLOW_TEST_FAIL": "1"})
    assert result.code == 3, result
    assert "addition (mockllm/model): too few samples (1/2, log status error)" in result.stdout
    assert result.out_lines()[-1] == "Completed 0/2 tasks (2 incomplete)"
    assert flow_cli("check", "spec.py").code == 3
    again = flow_cli("run", "spec.py")
    assert again.code == 0, again
    assert again.out_lines()[-1] == "Completed 2 tasks"
    assert flow_cli("check", "spec.py").code == 0


def test_limit_runs_fewer_samples(proj: Path) -> None:
    result = flow_cli("run", "spec.py", "--limit", "1")
    assert result.code == 0, result
    assert re.search(r"addition\s+mockllm/model\s+0/1", result.stdout)
    assert [read_header(p).results.completed_samples for p in eval_logs(proj / "logs")] == [1, 1]


def test_unique_log_dir_and_handle_file(proj: Path) -> None:
    result = flow_cli("run", "spec.py", "--log-dir-create-unique", "--handle-file", "run.txt")
    assert result.code == 0, result
    (folder,) = (proj / "logs").iterdir()
    assert RUN_FOLDER.match(folder.name)
    assert (proj / "run.txt").read_text() == f"{folder}\n"
    assert f"Log dir: logs/{folder.name}" in result.stdout
    assert len(eval_logs(folder)) == 2
    assert (folder / "flow.yaml").is_file()
    # the next run gets a folder of its own
    assert flow_cli("run", "spec.py", "--log-dir-create-unique").code == 0
    assert len(list((proj / "logs").iterdir())) == 2


def test_log_dir_option_is_relative_to_the_cwd(proj: Path) -> None:
    (proj / "sub").mkdir()
    (proj / "spec.py").rename(proj / "sub" / "spec.py")
    (proj / "tasks.py").rename(proj / "sub" / "tasks.py")
    result = flow_cli("run", "sub/spec.py", "--log-dir", "elsewhere")
    assert result.code == 0, result
    assert len(eval_logs(proj / "elsewhere")) == 2
    assert not (proj / "sub" / "logs").exists()


def test_dirty_log_dir_is_refused_unless_allowed(proj: Path, make_logs: LogFactory) -> None:
    make_logs(proj / "logs", n=1)
    dry = flow_cli("run", "spec.py", "--dry-run")
    assert dry.code == 0
    assert "⚠ The log dir holds 1 log of other tasks" in dry.stderr
    result = flow_cli("run", "spec.py")
    assert result.code == 2
    assert result.err_lines()[-1] == (
        "✗ Error: The log dir holds 1 log of other tasks: run in a fresh log dir, or allow them "
        "with --log-dir-allow-dirty"
    )
    assert len(eval_logs(proj / "logs")) == 1
    allowed = flow_cli("run", "spec.py", "--log-dir-allow-dirty")
    assert allowed.code == 0, allowed
    assert len(eval_logs(proj / "logs")) == 3


def test_usage_errors(proj: Path) -> None:
    both = flow_cli("run", "spec.py", "--resume", "--log-dir", "x")
    assert both.code == 2
    assert "--resume and --log-dir are mutually exclusive." in both.stderr
    venv = flow_cli("run", "spec.py", "--venv")
    assert venv.code == 2
    assert "--venv is not supported by flow run" in venv.stderr
    nothing = flow_cli("run", "spec.py", "--resume", "--log-dir-create-unique")
    assert nothing.code == 2
    assert nothing.err_lines()[-1] == "✗ Error: Nothing to resume: no earlier run folder in logs"
    missing = flow_cli("run", "nope.py")
    assert missing.code == 2
    assert not (proj / "logs").exists()


def test_help_lists_the_options_in_flow_014_order(proj: Path) -> None:
    result = flow_cli("run", "--help")
    assert result.code == 0
    options = re.findall(r"^  (-\w, )?(--[\w-]+)", result.stdout, re.M)
    assert [name for _, name in options] == [
        "--json",
        "--dry-run",
        "--log-dir-allow-dirty",
        "--handle-file",
        "--venv",
        "--resume",
        "--log-dir-create-unique",
        "--store-write",
        "--store-read",
        "--store-filter",
        "--store",
        "--limit",
        "--log-dir",
        "--arg",
        "--set",
        "--display",
        "--log-level",
        "--help",
    ]


def test_arg_and_set_reach_the_spec(proj: Path) -> None:
    (proj / "fn_spec.py").write_text(
        "from tasks import addition\n"
        "from inspect_flow import FlowSpec, FlowTask\n\n"
        "def spec(n: str = '2') -> FlowSpec:\n"
        "    return FlowSpec(log_dir='logs', tasks=[\n"
        "        FlowTask(factory=addition, model='mockllm/model', args={'n': int(n)})])\n"
    )
    result = flow_cli("run", "fn_spec.py", "-A", "n=3", "-s", "options.limit=1", "--dry-run")
    assert result.code == 0, result
    assert re.search(r"addition\s+mockllm/model\s+0/1", result.stdout)
    ran = flow_cli("run", "fn_spec.py", "-A", "n=3")
    assert ran.code == 0, ran
    (log,) = eval_logs(proj / "logs")
    assert read_header(log).eval.task_args == {"n": 3}


def test_a_record_that_cannot_be_written_stops_the_run_before_it_starts(proj: Path) -> None:
    (proj / "logs" / "flow.yaml").mkdir(parents=True)  # in the way of the record
    result = flow_cli("run", "spec.py")
    assert result.code == 1, result
    assert result.err_lines()[-1] == "✗ Error: Could not write logs/flow.yaml: Is a directory"
    assert eval_logs(proj / "logs") == [], "nothing ran"
    assert sorted(p.name for p in (proj / "logs").iterdir()) == ["flow.yaml"], "no temp file left"
    assert list((proj / "logs" / "flow.yaml").iterdir()) == []


def test_a_spec_without_tasks_completes_nothing(proj: Path) -> None:
    (proj / "empty.py").write_text("from inspect_flow import FlowSpec\nFlowSpec(log_dir='logs')\n")
    result = flow_cli("run", "empty.py")
    assert result.code == 0, result
    assert "Running 0 tasks (0 tasks complete)" in result.stdout
    assert result.out_lines()[-1] == "Completed 0 tasks"
    assert (proj / "logs" / "flow.yaml").is_file()
