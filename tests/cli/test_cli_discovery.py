"""Step discovery through the real CLI: the _flow.py chain, file.py forms, @NAME constants."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.cli import flow_cli, write_file
from helpers.logs import read_header

WHO = '''
from pathlib import Path
from inspect_flow import step, log_filter
from inspect_flow.api import tag

with open({events!r}, "a") as f:
    f.write("{label}\\n")

@step
def who(logs):
    """{label} version."""
    return tag(logs, add=["{label}"])

@log_filter
def picky(log):
    return "{label}" == "child"

@step
def {label}_only(logs):
    """Only in {label}."""
    return tag(logs, add=["{label}-only"])

def trailing_function(log):
    raise AssertionError("never called")
'''


def tags(paths: list[Path]) -> list[list[str]]:
    return [sorted(read_header(p).tags) for p in paths]


# --------------------------------------------------------------------------------- _flow.py chain


def test_nearest_flow_file_wins_and_parents_still_contribute(
    work: Path, logs: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    events = str(work / "executions.txt")
    write_file(work / "_flow.py", WHO.format(label="parent", events=events))
    write_file(work / "child" / "_flow.py", WHO.format(label="child", events=events))
    monkeypatch.chdir(work / "child")

    listing = flow_cli("step", "--help")
    assert listing.code == 0, listing
    commands = dict(
        line.strip().split(maxsplit=1)
        for line in listing.stdout.split("Commands:\n")[1].splitlines()
    )
    assert commands["who"] == "child version."
    assert commands["parent_only"] == "Only in parent."
    assert commands["child_only"] == "Only in child."

    result = flow_cli("step", "who", "../logs", "--filter", "picky")
    assert result.code == 0, result
    assert result.err_lines() == [
        "Filter: picky — 2/2 logs matched",  # the child's filter (the parent's keeps nothing)
        "  who(logs=2)",
        "    tag(logs=2, add=['child'])",
    ]
    assert tags(logs) == [["child"], ["child"]]
    assert flow_cli("step", "parent_only", "../logs").code == 0
    assert tags(logs) == [["child", "parent-only"]] * 2
    # Each file ran once per process, farthest first, though steps and filters were looked up
    # many times; the trailing plain function was never called.
    assert (work / "executions.txt").read_text().splitlines() == ["parent", "child"]


def test_broken_flow_file_is_one_line_with_path_and_line_exit_4(
    work: Path, logs: list[Path]
) -> None:
    write_file(
        work / "_flow.py",
        """
        from inspect_flow import step

        def helper():
            raise RuntimeError("boom")

        helper()
        """,
    )
    for args in (["step", "--help"], ["step", "tag", "logs", "--add", "x"], ["step", "nosuch"]):
        result = flow_cli(*args)
        assert result.code == 4, result
        assert result.err_lines() == [
            f"✗ Error: Error loading {work / '_flow.py'}:4: RuntimeError: boom"
        ]
        assert "Traceback" not in result.output
    assert tags(logs) == [[], []]


def test_broken_parent_flow_file_syntax_error(work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_file(work / "_flow.py", "x = 1\ndef f(:\n    pass\n")
    (work / "child").mkdir()
    monkeypatch.chdir(work / "child")
    result = flow_cli("step", "--help")
    assert result.code == 4
    assert result.err_lines() == [
        f"✗ Error: Error loading {work / '_flow.py'}:2: SyntaxError: invalid syntax"
    ]


# ------------------------------------------------------------------------------- file.py forms


STEPS_FILE = '''
from inspect_flow import step, log_filter
from inspect_flow.api import tag

@step
def mark(logs, *, label: str = "marked"):
    """Mark logs with a tag."""
    return tag(logs, add=[label])

@log_filter
def first_only(log):
    return log.location == sorted_locations[0]

sorted_locations = []
'''


def test_file_forms_run_steps_from_any_file(work: Path, logs: list[Path]) -> None:
    write_file(work / "lib" / "steps.py", STEPS_FILE)
    helped = flow_cli("step", "lib/steps.py", "--help")
    assert helped.code == 0
    assert helped.stdout.splitlines()[-1] == "  mark  Mark logs with a tag."

    two_tokens = flow_cli("step", "lib/steps.py", "mark", "logs", "--label", "two")
    assert two_tokens.code == 0, two_tokens
    assert two_tokens.err_lines() == ["  mark(logs=2, label='two')", "    tag(logs=2, add=['two'])"]
    at_form = flow_cli("step", "lib/steps.py@mark", "logs", "--label", "at")
    assert at_form.code == 0, at_form
    assert tags(logs) == [["at", "two"]] * 2
    assert (
        "Usage: flow step lib/steps.py@mark [OPTIONS] [PATH]..."
        in flow_cli("step", "lib/steps.py@mark", "--help").stdout
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.py", "--help"], "✗ Error: Invalid value: File not found: missing.py"),
        (["missing.py", "mark", "logs"], "✗ Error: Invalid value: File not found: missing.py"),
        (["missing.py@mark", "logs"], "✗ Error: Invalid value: File not found: missing.py"),
        (
            ["lib/steps.py@nosuch", "logs"],
            "✗ Error: No step 'nosuch' in lib/steps.py. Steps there: mark. "
            "(see 'flow step --help')",
        ),
        (
            ["lib/steps.py", "nosuch", "logs"],
            "✗ Error: No step 'nosuch' in lib/steps.py. Steps there: mark. "
            "(see 'flow step lib/steps.py --help')",
        ),
        (
            ["lib/empty.py", "--help"],
            "✗ Error: No such command 'lib/empty.py'. (see 'flow step --help')",
        ),
        (["nosuch", "logs"], "✗ Error: No such command 'nosuch'. (see 'flow step --help')"),
    ],
)
def test_file_form_and_unknown_step_errors(
    work: Path, logs: list[Path], args: list[str], message: str
) -> None:
    write_file(work / "lib" / "steps.py", STEPS_FILE)
    write_file(work / "lib" / "empty.py", "X = 1\n")
    result = flow_cli("step", *args)
    assert (result.code, result.err_lines(), result.stdout) == (2, [message], "")
    assert tags(logs) == [[], []]


def test_broken_step_file_is_exit_4(work: Path) -> None:
    write_file(work / "bad.py", "import nonexistent_module_xyz\n")
    result = flow_cli("step", "bad.py", "--help")
    assert result.code == 4
    assert result.err_lines() == [
        f"✗ Error: Error loading {work / 'bad.py'}:1: ModuleNotFoundError: "
        "No module named 'nonexistent_module_xyz'"
    ]


# ------------------------------------------------------------------------------- @NAME constants


def test_constants_from_flow_files_and_named_files(
    work: Path, logs: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    write_file(work / "_flow.py", 'MYTAG = "from-flow"\nLOGS = "../logs"\n_PRIVATE = "x"\n')
    write_file(work / "child" / "_flow.py", 'OTHER = "nearest"\n')
    write_file(work / "settings.py", 'REVIEW_TAG = "from-settings"\n')
    monkeypatch.chdir(work / "child")
    result = flow_cli("step", "tag", "@LOGS", "--add", "@MYTAG", "--add", "@OTHER")
    assert result.code == 0, result
    assert result.err_lines() == ["  tag(logs=2, add=['from-flow', 'nearest'])"]
    result = flow_cli("step", "tag", "../logs", "--add", "@../settings.py@REVIEW_TAG")
    assert result.code == 0, result
    assert tags(logs) == [["from-flow", "from-settings", "nearest"]] * 2
    # Not constant-shaped: passed through as is.
    assert flow_cli("step", "tag", "../logs", "--add", "@user@example.com").code == 0
    assert "@user@example.com" in read_header(logs[0]).tags


@pytest.mark.parametrize(
    ("token", "message"),
    [
        (
            "@NOPE",
            "✗ Error: Invalid value: Constant 'NOPE' not found in any _flow.py. "
            "Define it as an UPPERCASE module-level string.",
        ),
        ("@_PRIVATE", None),  # leading underscore: not a constant
        ("@settings.py@NOPE", "✗ Error: Invalid value: Constant 'NOPE' not found in settings.py."),
        ("@missing.py@X", "✗ Error: Invalid value: File not found: missing.py"),
    ],
)
def test_constant_errors_are_usage_errors(
    work: Path, logs: list[Path], token: str, message: str | None
) -> None:
    write_file(work / "_flow.py", '_PRIVATE = "x"\n')
    write_file(work / "settings.py", 'REVIEW_TAG = "r"\n')
    result = flow_cli("step", "tag", "logs", "--add", token)
    assert result.code == 2
    expected = message or (
        "✗ Error: Invalid value: Constant '_PRIVATE' not found in any _flow.py. "
        "Define it as an UPPERCASE module-level string."
    )
    assert result.err_lines() == [expected]
    assert tags(logs) == [[], []]


def test_constant_with_two_values_must_be_disambiguated(
    work: Path, logs: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    write_file(work / "_flow.py", 'TAG = "parent"\n')
    write_file(work / "child" / "_flow.py", 'TAG = "child"\n')
    monkeypatch.chdir(work / "child")
    result = flow_cli("step", "tag", "../logs", "--add", "@TAG")
    assert result.code == 2
    [line] = result.err_lines()
    assert line.startswith("✗ Error: Invalid value: Constant 'TAG' is defined in multiple files")
    assert line.endswith("Use file.py@NAME to disambiguate.")
    assert flow_cli("step", "tag", "../logs", "--add", "@_flow.py@TAG").code == 0
    assert tags(logs) == [["child"], ["child"]]
