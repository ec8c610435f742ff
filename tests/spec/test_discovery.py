"""Tests of _flow.py discovery, user-file loading, entry points and @NAME constants."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

from inspect_flow import _discovery
from inspect_flow._discovery import (
    expand_constants,
    filters_in_file,
    flow_files,
    load_entry_points,
    load_flow_files,
    load_python_file,
    steps_in_file,
)
from inspect_flow._errors import FlowUsageError, UserFileError
from inspect_flow._registry import registered_filters, registered_steps

# Test files use the public decorators; steps here are only looked up and their raw function called.
PRELUDE = """\
from inspect_flow import log_filter, step

def event(text):
    with open({events!r}, "a") as f:
        f.write(text + "\\n")
"""


@pytest.fixture(autouse=True)
def isolated_registry(tmp_path: Path) -> Iterator[None]:
    """Registries and discovery caches are process-global: snapshot and restore around each test."""
    steps, filters = dict(registered_steps()), dict(registered_filters())
    _discovery._reset_for_tests()
    yield
    _discovery._reset_for_tests()
    registered_steps().clear()
    registered_steps().update(steps)
    registered_filters().clear()
    registered_filters().update(filters)
    for name, module in list(sys.modules.items()):  # sibling modules imported by test files
        if str(getattr(module, "__file__", None) or "").startswith(str(tmp_path)):
            del sys.modules[name]


@pytest.fixture
def events(tmp_path: Path) -> Path:
    return tmp_path / "events.txt"


def write(path: Path, body: str, events: Path | None = None, prelude: bool = True) -> Path:
    """Write a Python file; with the prelude it can use `step`, `log_filter` and `event(text)`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    head = PRELUDE.format(events=str(events or path.parent / "events.txt")) if prelude else ""
    path.write_text(head + textwrap.dedent(body))
    return path


def read_events(events: Path) -> list[str]:
    return events.read_text().splitlines() if events.exists() else []


WHO = """
event({label!r})

@step
def who():
    return {label!r}

@log_filter
def picky(log):
    return {label!r} == "child"
"""


@pytest.fixture
def tree(tmp_path: Path, events: Path) -> Path:
    """root/_flow.py (who=parent) and root/child/_flow.py (who=child); returns root/child."""
    root = tmp_path / "root"
    write(root / "_flow.py", WHO.format(label="parent"), events)
    write(root / "child" / "_flow.py", WHO.format(label="child"), events)
    (root / "child" / "empty" / "deeper").mkdir(parents=True)
    return root / "child"


# -------------------------------------------------------------------------------------------------
# flow_files / load_flow_files


def test_flow_files_lists_the_chain_nearest_first(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    deeper = tree / "empty" / "deeper"
    expected = [tree / "_flow.py", tree.parent / "_flow.py"]
    assert flow_files(deeper)[:2] == expected
    monkeypatch.chdir(deeper)
    assert flow_files()[:2] == expected
    assert flow_files(tree / "_flow.py")[:2] == expected  # a file means its directory


def test_nearest_flow_file_wins_for_steps_and_filters(
    tree: Path, events: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tree / "empty")
    assert load_flow_files()[:2] == [tree / "_flow.py", tree.parent / "_flow.py"]
    assert read_events(events) == ["parent", "child"]  # executed farthest first
    assert registered_steps()["who"].func() == "child"
    assert registered_steps()["who"].source_file == str(tree / "_flow.py")
    assert registered_filters()["picky"].func(None) is True  # the child's filter


def test_nearest_wins_whatever_order_files_were_executed_in(
    tree: Path, events: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_flow_files(tree)
    assert registered_steps()["who"].func() == "child"
    load_flow_files(tree.parent)  # the parent's own chain: its definition is the nearest there
    assert registered_steps()["who"].func() == "parent"
    load_flow_files(tree)  # back in the child: no re-execution, the child's definition again
    assert registered_steps()["who"].func() == "child"
    assert registered_filters()["picky"].func(None) is True
    assert read_events(events) == ["parent", "child"]


def test_each_flow_file_executes_once_per_process(
    tree: Path, events: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tree)
    for _ in range(3):
        load_flow_files()
    load_python_file("_flow.py")  # the same cache serves arbitrary files
    expand_constants(["--x", "plain"])
    assert read_events(events) == ["parent", "child"]


def test_flow_file_ending_in_a_function_definition_is_not_called(
    tmp_path: Path, events: Path
) -> None:
    write(
        tmp_path / "_flow.py",
        """
        @log_filter
        def only_success(log):
            event("filter called")
            return True

        def boom(x):
            event("boom called")
            raise RuntimeError("must never be called")
        """,
        events,
    )
    assert load_flow_files(tmp_path)[0] == tmp_path / "_flow.py"
    assert read_events(events) == []
    assert "only_success" in registered_filters()


def test_flow_file_runs_as_a_fresh_module_not_main(tmp_path: Path, events: Path) -> None:
    write(
        tmp_path / "_flow.py",
        """
        event(__name__)
        if __name__ == "__main__":
            event("main block ran")
        """,
        events,
    )
    load_flow_files(tmp_path)
    (name,) = read_events(events)
    assert name.startswith("_inspect_flow_user_") and name in sys.modules


# -------------------------------------------------------------------------------------------------
# Broken files


@pytest.mark.parametrize(
    ("body", "line", "message"),
    [
        ("x = 1\ndef broken(:\n    pass\n", 2, "SyntaxError: "),
        ("x = 1\n\ny = 1 / 0\n", 3, "ZeroDivisionError: division by zero"),
        ("def f():\n    raise KeyError('k')\n\nf()\n", 2, "KeyError: 'k'"),  # innermost frame
        ("import os\nimport no_such_module_xyz\n", 2, "ModuleNotFoundError: No module named"),
        ("import sys\nsys.exit(3)\n", 2, "sys.exit(3) called"),
    ],
)
def test_broken_flow_file_is_a_user_file_error_with_path_and_line(
    tmp_path: Path, body: str, line: int, message: str
) -> None:
    path = write(tmp_path / "_flow.py", body, prelude=False)
    with pytest.raises(UserFileError) as info:
        load_flow_files(tmp_path)
    assert info.value.path == str(path)
    assert info.value.line == line
    assert str(info.value).startswith(f"Error loading {path}:{line}: {message}")


def test_error_in_a_sibling_module_points_at_the_import_line(tmp_path: Path) -> None:
    write(tmp_path / "sib_broken_helpers.py", "x = (\n", prelude=False)
    path = write(tmp_path / "_flow.py", "import os\n\nimport sib_broken_helpers\n", prelude=False)
    with pytest.raises(UserFileError) as info:
        load_flow_files(tmp_path)
    assert (info.value.path, info.value.line) == (str(path), 3)
    assert "sib_broken_helpers.py" in str(info.value)  # the sibling's own location is kept


def test_broken_file_is_not_executed_again(tmp_path: Path, events: Path) -> None:
    write(tmp_path / "_flow.py", "event('ran')\nraise ValueError('bad')\n", events)
    for _ in range(2):
        with pytest.raises(UserFileError, match="ValueError: bad"):
            load_flow_files(tmp_path)
    assert read_events(events) == ["ran"]
    assert not [m for m in sys.modules if m.startswith("_inspect_flow_user_")]


# -------------------------------------------------------------------------------------------------
# Sibling imports and arbitrary files


def test_sibling_imports_work_and_sys_path_is_restored(tmp_path: Path) -> None:
    write(
        tmp_path / "sib_steps_a.py",
        """
        @step
        def shout():
            return "shout"

        def helper():
            return "helped"
        """,
    )
    write(
        tmp_path / "_flow.py",
        """
        from sib_steps_a import shout  # noqa: F401

        @step
        def lazy():
            import sib_steps_a  # imported when the step runs, after loading
            return sib_steps_a.helper()
        """,
    )
    first = sys.path[0]
    load_flow_files(tmp_path)
    assert sys.path[0] == first  # the file's directory no longer shadows anything
    assert registered_steps()["shout"].func() == "shout"
    del sys.modules["sib_steps_a"]
    assert registered_steps()["lazy"].func() == "helped"


def test_load_python_file_relative_to_base_dir_or_cwd(
    tmp_path: Path, events: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "sub" / "steps.py", "event('steps')\nVALUE = 1\n", events)
    module = load_python_file("sub/steps.py", base_dir=tmp_path)
    monkeypatch.chdir(tmp_path / "sub")
    assert load_python_file("steps.py") is module
    assert load_python_file(tmp_path / "sub" / "steps.py") is module
    assert module.VALUE == 1
    assert read_events(events) == ["steps"]


def test_same_file_name_in_two_directories_gives_two_modules(tmp_path: Path) -> None:
    a = write(tmp_path / "a" / "steps.py", "NAME = 'a'\n", prelude=False)
    b = write(tmp_path / "b" / "steps.py", "NAME = 'b'\n", prelude=False)
    assert (load_python_file(a).NAME, load_python_file(b).NAME) == ("a", "b")


@pytest.mark.parametrize("typed", ["missing.py", "sub/missing.py", "sub"])
def test_load_python_file_missing(tmp_path: Path, typed: str) -> None:
    (tmp_path / "sub").mkdir()
    with pytest.raises(FlowUsageError) as info:
        load_python_file(typed, base_dir=tmp_path)
    assert str(info.value) == f"File not found: {typed}"
    with pytest.raises(FlowUsageError, match="^File not found: missing.py$"):
        steps_in_file("missing.py", base_dir=tmp_path)


def test_steps_and_filters_in_file_exclude_imported_ones(tmp_path: Path) -> None:
    write(
        tmp_path / "sib_lib_b.py",
        """
        @step
        def imported_step():
            return "imported"

        @log_filter
        def imported_filter(log):
            return True
        """,
    )
    path = write(
        tmp_path / "mine.py",
        """
        from sib_lib_b import imported_filter, imported_step  # noqa: F401

        @step
        def own_step():
            return "own"

        @log_filter
        def own_filter(log):
            return True
        """,
    )
    assert set(steps_in_file(path)) == {"own"}  # `own_step` registers as `own`
    assert set(filters_in_file("mine.py", base_dir=tmp_path)) == {"own_filter"}
    assert "imported" in registered_steps() and "imported_filter" in registered_filters()


def test_steps_in_file_survive_a_later_same_named_registration(tmp_path: Path) -> None:
    mine = write(tmp_path / "mine.py", WHO.format(label="mine"))
    other = write(tmp_path / "other.py", WHO.format(label="other"))
    load_python_file(mine)
    load_python_file(other)
    assert registered_steps()["who"].func() == "other"
    assert steps_in_file(mine)["who"].func() == "mine"
    assert filters_in_file(mine)["picky"].source_file == str(mine)


# -------------------------------------------------------------------------------------------------
# Entry points


def test_entry_points_load_once_and_broken_ones_only_warn(
    tmp_path: Path, events: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    write(tmp_path / "ep_plugin_c.py", "event('plugin')\n\n@step\ndef plugged():\n    return 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    eps = {
        "inspect_ai": [
            EntryPoint("broken", "ep_no_such_module_c", "inspect_ai"),
            EntryPoint("plugin", "ep_plugin_c", "inspect_ai"),
        ],
        "inspect_flow": [EntryPoint("again", "ep_plugin_c", "inspect_flow")],
    }
    monkeypatch.setattr("importlib.metadata.entry_points", lambda group: eps.get(group, []))
    with caplog.at_level(logging.WARNING, logger="inspect_flow._discovery"):
        load_entry_points()
        load_entry_points()
    assert "plugged" in registered_steps()
    assert read_events(events) == ["plugin"]
    (record,) = caplog.records
    assert "ep_no_such_module_c" in record.getMessage()


# -------------------------------------------------------------------------------------------------
# @NAME constants


def test_constants_from_nearest_and_parent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "_flow.py", "TOP = 'top'\nSHARED = 'same'\n", prelude=False)
    write(tmp_path / "c" / "_flow.py", "MINE = 'mine'\nSHARED = 'same'\n", prelude=False)
    monkeypatch.chdir(tmp_path / "c")
    argv = ["tag", "logs", "--add", "@MINE", "--add", "@TOP", "@SHARED"]
    assert expand_constants(argv) == ["tag", "logs", "--add", "mine", "--add", "top", "same"]


def test_constant_missing(tmp_path: Path) -> None:
    write(tmp_path / "_flow.py", "_HIDDEN = 'x'\nNUMBER = 3\nlower = 'x'\n", prelude=False)
    for name in ("NOPE", "_HIDDEN", "NUMBER", "lower"):
        with pytest.raises(FlowUsageError) as info:
            expand_constants([f"@{name}"], cwd=tmp_path)
        assert str(info.value) == (
            f"Constant '{name}' not found in any _flow.py. "
            "Define it as an UPPERCASE module-level string."
        )


def test_constant_with_different_values_in_two_files(tmp_path: Path) -> None:
    write(tmp_path / "_flow.py", "TAG = 'parent'\n", prelude=False)
    write(tmp_path / "c" / "_flow.py", "TAG = 'child'\n", prelude=False)
    with pytest.raises(FlowUsageError) as info:
        expand_constants(["@TAG"], cwd=tmp_path / "c")
    assert str(info.value) == (
        "Constant 'TAG' is defined in multiple files with different values: "
        f"{tmp_path / 'c' / '_flow.py'}, {tmp_path / '_flow.py'}. Use file.py@NAME to disambiguate."
    )
    assert expand_constants(["@c/_flow.py@TAG"], cwd=tmp_path) == ["child"]


def test_constant_from_a_named_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "consts.py", "GOLD = 'golden'\n", prelude=False)
    monkeypatch.chdir(tmp_path)
    assert expand_constants(["--add", "@consts.py@GOLD"]) == ["--add", "golden"]
    with pytest.raises(FlowUsageError, match="^File not found: nope.py$"):
        expand_constants(["@nope.py@GOLD"])
    with pytest.raises(FlowUsageError) as info:
        expand_constants(["@consts.py@SILVER"])
    assert str(info.value) == "Constant 'SILVER' not found in consts.py."


def test_tokens_that_are_not_constants_pass_through(tmp_path: Path, events: Path) -> None:
    write(tmp_path / "_flow.py", "event('loaded')\n", events)
    argv = ["@", "@@", "@me@example.com", "@some-handle", "@1x", "--add=@X", "x@Y", "@file.txt@X"]
    assert expand_constants(argv, cwd=tmp_path) == argv
    assert read_events(events) == []  # nothing needed a _flow.py, so none was executed


def test_importing_discovery_does_not_import_inspect_ai() -> None:
    code = (
        "import sys, inspect_flow._discovery, inspect_flow._filters;"
        "print([m for m in sys.modules if m.startswith('inspect_ai')])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
