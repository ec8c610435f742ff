"""`--filter` / `--exclude` through the real CLI: every way to name a filter, the per-filter lines,
empty selections, unknown and failing filters.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.cli import flow_cli, write_file
from helpers.logs import LogFactory, read_header

FILTERS = """
from inspect_flow import log_filter

@log_filter
def successful(log):
    return log.status == "success"

@log_filter
def is_json(log):
    return log.location.endswith(".json")

@log_filter
def has_foo(log):
    return "foo" in log.tags

@log_filter
def explode(log):
    if log.location.endswith(".json"):
        raise ValueError("kaboom")
    return True
"""


@pytest.fixture
def logs(work: Path, make_logs: LogFactory) -> dict[str, Path]:
    """Four logs: two successful .eval, one successful .json, one error .eval."""
    write_file(work / "_flow.py", FILTERS)
    ok1, ok2 = make_logs(work / "logs", n=2)
    [js] = make_logs(work / "logs", n=1, fmt="json")
    [err] = make_logs(work / "logs" / "sub", n=1, status="error")
    return {"ok1": ok1, "ok2": ok2, "json": js, "error": err}


def tags(logs: dict[str, Path]) -> dict[str, list[str]]:
    return {name: sorted(read_header(path).tags) for name, path in logs.items()}


def test_filter_and_exclude_lines_and_selection(logs: dict[str, Path]) -> None:
    result = flow_cli(
        "step", "tag", "logs", "--add", "y",
        "--filter", "successful", "--filter", "successful", "--exclude", "is_json",
    )  # fmt: skip
    assert result.code == 0, result
    assert result.err_lines() == [
        "Filter: successful — 3/4 logs matched",
        "Filter: successful — 3/3 logs matched",
        "Exclude: is_json — 2/3 logs remaining",
        "  tag(logs=2, add=['y'])",
    ]
    assert result.out_lines() == ["tag: 2 written"]  # only the selected logs are reported
    assert tags(logs) == {"ok1": ["y"], "ok2": ["y"], "json": [], "error": []}


def test_excludes_combine_with_any(logs: dict[str, Path]) -> None:
    result = flow_cli(
        "step", "tag", "logs", "--add", "z", "--exclude", "is_json", "--exclude", "successful"
    )
    assert result.code == 0, result
    assert result.err_lines()[:2] == [
        "Exclude: is_json — 3/4 logs remaining",
        "Exclude: successful — 1/3 logs remaining",
    ]
    assert tags(logs) == {"ok1": [], "ok2": [], "json": [], "error": ["z"]}


def test_file_at_name_filter(work: Path, logs: dict[str, Path]) -> None:
    write_file(
        work / "lib" / "more.py",
        """
        from inspect_flow import log_filter

        @log_filter
        def in_sub(log):
            return "/sub/" in log.location
        """,
    )
    result = flow_cli("step", "tag", "logs", "--add", "s", "--filter", "lib/more.py@in_sub")
    assert result.code == 0, result
    assert result.err_lines()[0] == "Filter: lib/more.py@in_sub — 1/4 logs matched"
    assert tags(logs)["error"] == ["s"]


def test_filters_see_the_current_tags(logs: dict[str, Path]) -> None:
    assert flow_cli("step", "tag", "logs", "--add", "foo", "--filter", "is_json").code == 0
    result = flow_cli("step", "tag", "logs", "--add", "bar", "--filter", "has_foo")
    assert result.code == 0, result
    assert result.err_lines()[0] == "Filter: has_foo — 1/4 logs matched"
    assert tags(logs)["json"] == ["bar", "foo"]


def test_package_namespaced_filters_resolve_by_unique_suffix(
    work: Path, logs: dict[str, Path]
) -> None:
    # What an installed package's filters look like in the registry (``pkg/name``).
    write_file(
        work / "_flow.py",
        FILTERS
        + """
from inspect_flow._registry import FilterInfo, registered_filters

def _graded(log):
    return log.status == "error"

for _pkg in ("pkga", "pkgb"):
    registered_filters()[f"{_pkg}/twin"] = FilterInfo("twin", f"{_pkg}/twin", _graded)
registered_filters()["pkga/graded"] = FilterInfo("graded", "pkga/graded", _graded)
""",
    )
    result = flow_cli("step", "tag", "logs", "--add", "g", "--filter", "graded")
    assert result.code == 0, result
    assert result.err_lines()[0] == "Filter: pkga/graded — 1/4 logs matched"
    assert flow_cli("step", "tag", "logs", "--add", "h", "--filter", "pkgb/twin").code == 0
    assert tags(logs)["error"] == ["g", "h"]
    ambiguous = flow_cli("step", "tag", "logs", "--add", "x", "--filter", "twin")
    assert ambiguous.code == 2
    assert ambiguous.err_lines() == [
        "✗ Error: Multiple log filters match 'twin': ['pkga/twin', 'pkgb/twin']. "
        "Use a fully qualified name."
    ]


@pytest.mark.parametrize(
    ("option", "spec", "message"),
    [
        ("--filter", "nosuch", "✗ Error: Log filter 'nosuch' not found in registry."),
        ("--exclude", "nosuch", "✗ Error: Log filter 'nosuch' not found in registry."),
        ("--filter", "_flow.py@nosuch", "✗ Error: Log filter 'nosuch' not found in _flow.py."),
        ("--filter", "missing.py@x", "✗ Error: File not found: missing.py"),
    ],
)
def test_unknown_filters_are_usage_errors(
    logs: dict[str, Path], option: str, spec: str, message: str
) -> None:
    result = flow_cli("step", "tag", "logs", "--add", "x", option, spec)
    assert (result.code, result.err_lines(), result.stdout) == (2, [message], "")
    assert tags(logs) == {"ok1": [], "ok2": [], "json": [], "error": []}


def test_a_failing_filter_is_exit_1_naming_filter_and_log(logs: dict[str, Path]) -> None:
    result = flow_cli("step", "tag", "logs", "--add", "x", "--filter", "explode")
    assert result.code == 1
    [line] = result.err_lines()
    assert line.startswith(f"✗ Error: Log filter 'explode' failed on logs/{logs['json'].name} (")
    assert line.endswith("): ValueError: kaboom")
    assert "_flow.py:" in line and "Traceback" not in result.output
    assert tags(logs) == {"ok1": [], "ok2": [], "json": [], "error": []}


def test_everything_filtered_away_is_no_logs_found(logs: dict[str, Path]) -> None:
    result = flow_cli(
        "step", "tag", "logs", "--add", "x", "--filter", "has_foo", "--filter", "successful"
    )
    assert result.code == 1
    assert result.err_lines() == [
        "Filter: has_foo — 0/4 logs matched",
        "Filter: successful — 0/0 logs matched",
        "✗ No logs found",
    ]
    assert result.stdout == ""


def test_empty_directory_with_a_filter_is_no_logs_found(work: Path, logs: dict[str, Path]) -> None:
    (work / "empty").mkdir()
    result = flow_cli("step", "tag", "empty", "--add", "x", "--filter", "successful")
    assert (result.code, result.err_lines()[-1]) == (1, "✗ No logs found")  # not an IndexError
    plain = flow_cli("step", "tag", "empty", "--add", "x")
    assert (plain.code, plain.err_lines()) == (1, ["✗ No logs found"])


def test_no_recursive_with_filters(logs: dict[str, Path]) -> None:
    result = flow_cli("step", "tag", "logs", "--add", "r", "--no-recursive", "--exclude", "is_json")
    assert result.code == 0, result
    assert result.err_lines()[0] == "Exclude: is_json — 2/3 logs remaining"
    assert tags(logs) == {"ok1": ["r"], "ok2": ["r"], "json": [], "error": []}
