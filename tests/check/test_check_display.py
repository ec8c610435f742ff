"""The ``flow check`` status display: the bordered panel (full) and the action lines (plain).

Status goes to stderr, data (table, sections, summary, ``Log dir:``) to stdout (docs/check.md);
Flow 0.14 printed everything to stdout.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from helpers.check_corpus import fresh_copy
from helpers.cli import flow_cli

from inspect_flow import _output

DATA = Path(__file__).resolve().parents[1] / "data" / "check"

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
TTY = {"FORCE_COLOR": "1", "TTY_COMPATIBLE": "1"}
PANEL_ROWS = [
    ("✓", "Load config", "Loaded 5 tasks"),
    ("✓", "Set up environment", "inproc"),
    ("✓", "Instantiate tasks", "Instantiated 5 tasks"),
    ("✓", "Check for existing logs", "Found 7 existing logs in log directory"),
]
LABELS = [label for _, label, _ in PANEL_ROWS] + ["Alpha", "Next"]


@pytest.fixture
def proj(check_corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    project = fresh_copy(check_corpus, tmp_path / "proj")
    shutil.copy(DATA / "spec.py", project / "spec.py")
    (project / "bad.py").write_text("x = 1\nraise ValueError('nope')\n")
    (project / "nolog.yaml").write_text("tasks: [tasks.py@greeting]\n")
    monkeypatch.chdir(project)
    monkeypatch.delenv("INSPECT_FLOW_DISPLAY", raising=False)
    yield project
    _output.set_display("full")


def panel_rows(text: str) -> list[tuple[str, str, str]]:
    """The action rows of a panel (``│ ✓ Label   info │``) as (icon, label, info)."""
    rows = []
    for line in ANSI.sub("", text).splitlines():
        match = re.fullmatch(r"│ (\S) (.+?)\s*│", line)
        label = next((x for x in LABELS if match and match.group(2).startswith(x)), None)
        if match and label:
            rows.append((match.group(1), label, match.group(2)[len(label) :].strip()))
    return rows


@pytest.mark.parametrize("mode", ["plain", "log"])
def test_plain_lines_in_order_on_stderr(proj: Path, mode: str) -> None:
    result = flow_cli("check", "spec.py", "--display", mode)
    assert result.code == 3, result
    assert result.err_lines() == [
        "Flow Spec: spec.py",
        "[..] load spec.py",
        "[OK] load Loaded 5 tasks",
        "[..] env inproc",
        "[OK] env inproc",
        "[..] instantiate",
        "[OK] instantiate Instantiated 5 tasks",
        "[..] logs",
        "[OK] logs Found 7 existing logs in log directory",
    ]
    lines = result.out_lines()
    assert lines[0].split() == ["Existing"] and lines[-1] == "Log dir: logs"
    assert "Check: 3/5 tasks complete (1 log incomplete, 1 task with no log)" in lines
    assert not any(line.startswith("[") or "Flow Spec" in line for line in lines)


def test_plain_empty_log_dir(proj: Path) -> None:
    (proj / "empty").mkdir()
    result = flow_cli("check", "spec.py", "--display", "plain", "--log-dir", "empty")
    assert result.code == 3, result
    assert result.err_lines()[-1] == "[OK] logs No existing logs found in log directory"


def test_failed_action_plain_then_one_error_line(proj: Path) -> None:
    loading = flow_cli("check", "bad.py", "--display", "plain")
    assert loading.code == 4, loading
    message = f"Error loading {proj / 'bad.py'}:2: ValueError: nope"
    assert loading.err_lines() == [
        "Flow Spec: bad.py",
        "[..] load bad.py",
        f"[ERROR] load {message}",
        f"✗ Error: {message}",
    ]
    assert loading.stdout == ""
    no_log_dir = flow_cli("check", "nolog.yaml", "--display", "plain")
    assert no_log_dir.code == 2, no_log_dir
    assert no_log_dir.err_lines()[-3:] == [
        "[..] instantiate",
        "[ERROR] instantiate log_dir must be set before checking the flow spec",
        "✗ Error: log_dir must be set before checking the flow spec",
    ]


def test_failed_action_full_shows_cross_and_pending_rows(proj: Path) -> None:
    result = flow_cli("check", "bad.py")
    assert result.code == 4, result
    rows = panel_rows(result.stderr)
    assert [(icon, label) for icon, label, _ in rows[:1]] == [("✗", "Load config")]
    assert rows[0][2].startswith("Error loading")
    assert [(icon, label, info) for icon, label, info in rows if icon == "·"] == [
        ("·", "Set up environment", ""),
        ("·", "Instantiate tasks", ""),
        ("·", "Check for existing logs", ""),
    ]
    assert result.err_lines()[-1] == f"✗ Error: Error loading {proj / 'bad.py'}:2: ValueError: nope"


def test_full_not_a_tty_prints_one_static_panel(proj: Path) -> None:
    result = flow_cli("check", "spec.py")
    assert result.code == 3, result
    assert not ANSI.search(result.stderr), "no colour and no cursor movement when not a TTY"
    lines = result.err_lines()
    assert len(lines) == 6, result.stderr
    assert re.fullmatch(r"╭─ Flow Spec: spec\.py ─+╮", lines[0])
    assert re.fullmatch(r"╰─+ \[CHECK\] ─╯", lines[-1])
    assert all(len(line) == 80 for line in lines)
    assert panel_rows(result.stderr) == PANEL_ROWS
    assert "╭" not in result.stdout and result.out_lines()[-1] == "Log dir: logs"


def test_full_on_a_tty_is_a_live_panel_left_on_screen(proj: Path) -> None:
    result = flow_cli("check", "spec.py", env=TTY)
    assert result.code == 3, result
    # rich's Live hides the cursor while it runs and shows it again when it stops
    assert "\x1b[?25l" in result.stderr and result.stderr.rstrip().endswith("\x1b[?25h")
    final = ANSI.sub("", result.stderr).split("╭─ Flow Spec: spec.py")[-1]
    assert panel_rows(final) == PANEL_ROWS
    assert "[CHECK]" in final
    assert "╭" not in result.stdout and "Log dir: logs" in ANSI.sub("", result.stdout)


def test_display_none_prints_nothing(proj: Path) -> None:
    result = flow_cli("check", "spec.py", "--display", "none", env=TTY)
    assert (result.code, result.stdout, result.stderr) == (3, "", "")
    failing = flow_cli("check", "bad.py", "--display", "none")
    assert failing.code == 4 and failing.stdout == ""
    assert failing.err_lines() == [f"✗ Error: Error loading {proj / 'bad.py'}:2: ValueError: nope"]


@pytest.mark.parametrize("env", [{}, TTY], ids=["pipe", "tty"])
def test_json_keeps_stdout_pure(proj: Path, env: dict[str, str]) -> None:
    result = flow_cli("check", "spec.py", "--json", env=env)
    assert result.code == 3, result
    data = json.loads(result.stdout)
    assert data["summary"] == {"total": 5, "complete": 3, "incomplete": 2}
    assert panel_rows(ANSI.sub("", result.stderr).split("╭─")[-1]) == PANEL_ROWS


# ------------------------------------------------------------------------ the _output API


def test_progress_bar_renders_inside_the_live_panel(monkeypatch: pytest.MonkeyPatch) -> None:
    from rich.console import Console

    for name, value in TTY.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    _output.set_display("full")
    steps = [("logs", "Check for existing logs"), ("next", "Next")]
    try:
        with _output.actions("Flow Spec: x.py", "CHECK", steps) as panel:
            with panel.action("logs") as act:
                # the bar joins the panel (not a second live display under or over it)
                with _output.progress("Reading logs", 3) as advance:
                    advance()
                    snapshot = Console(width=80, record=True, file=io.StringIO())
                    snapshot.print(panel)
                act.done("Found 3 existing logs in log directory")
            after = Console(width=80, record=True, file=io.StringIO())
            after.print(panel)
        live = sys.stderr.getvalue()
    finally:
        _output.set_display("full")
    inside = snapshot.export_text().splitlines()
    assert any(re.fullmatch(r"│ Reading logs .* 1/3 *│", line) for line in inside), inside
    done = after.export_text()
    assert "Reading logs" not in done
    assert panel_rows(done) == [
        ("✓", "Check for existing logs", "Found 3 existing logs in log directory"),
        ("·", "Next", ""),
    ]
    assert "\x1b[?25l" in live and "Found 3 existing logs" in live


def test_exception_in_action_marks_it_failed_and_propagates(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    _output.set_display("full")
    with pytest.raises(KeyError):
        with _output.actions("Title", "T", [("a", "Alpha")]) as panel:
            with panel.action("a", "working"):
                raise KeyError("missing")
    text = sys.stderr.getvalue()
    assert panel_rows(text) == [("✗", "Alpha", "KeyError: 'missing'")]


def test_check_api_runs_phases_and_still_calls_status(proj: Path) -> None:
    from inspect_flow._check import check
    from inspect_flow._spec import load_spec

    messages: list[str] = []
    events: list[str] = []

    @contextmanager
    def phase(name: str) -> Iterator[Callable[[str], None]]:
        events.append(f"start {name}")
        yield lambda message: events.append(f"{name}: {message}")

    check(load_spec("spec.py"), status=messages.append, phase=phase)
    assert messages == ["Instantiated 5 tasks", "Found 7 existing logs in log directory"]
    assert events == [
        "start instantiate",
        "instantiate: Instantiated 5 tasks",
        "start logs",
        "logs: Found 7 existing logs in log directory",
    ]
