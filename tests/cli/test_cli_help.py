"""Help texts of the real CLI (golden, 80 columns), --version, start-up imports, docs/cli.md.

Golden files live in tests/data/cli/. After an intended change to a help text, regenerate them with
``FLOW_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/cli/test_cli_help.py`` and review the diff.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.cli import flow_cli, write_file

GOLDEN = Path(__file__).resolve().parents[1] / "data" / "cli"
REPO = Path(__file__).resolve().parents[2]
FLOW_SCRIPT = Path(sys.executable).parent / "flow"

# A custom step shaped like the one in the reference's Appendix A, plus a Python-only parameter.
ANNOTATE = '''
from typing import Any, Callable
from inspect_flow import step

@step
def annotate(
    logs,
    label: str,
    count: int = 1,
    ratio: float = 0.5,
    flag: bool = False,
    names: list[str] | None = None,
    extra: dict[str, Any] | None = None,
    anything=None,
    fn: Callable[[str], str] | None = None,
):
    """Annotate logs with a label.

    Args:
        label: A label to apply.
        count: How many times.
        ratio: A ratio value.
        flag: A boolean flag.
        names: Some names.
        extra: Extra key-value pairs.
    """
    return logs
'''


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("FLOW_UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    assert path.exists(), f"missing golden file {path}; run with FLOW_UPDATE_GOLDEN=1"
    assert text == path.read_text(), f"help differs from {path} (FLOW_UPDATE_GOLDEN=1 to accept)"


@pytest.mark.parametrize(
    ("args", "golden"),
    [
        ([], "flow_help.txt"),
        (["step"], "step_help.txt"),
        (["step", "tag"], "step_tag_help.txt"),
        (["step", "metadata"], "step_metadata_help.txt"),
        (["step", "copy"], "step_copy_help.txt"),
    ],
)
def test_builtin_help_matches_golden(args: list[str], golden: str) -> None:
    result = flow_cli(*args, "--help")
    assert result.code == 0, result
    assert result.stderr == ""
    check_golden(golden, result.stdout)


def test_custom_step_help_matches_golden(work: Path) -> None:
    write_file(work / "_flow.py", ANNOTATE)
    result = flow_cli("step", "annotate", "--help")
    assert result.code == 0, result
    check_golden("step_custom_help.txt", result.stdout)
    # The Options section is exactly the reference's (Appendix A); fn (a Callable) has no option.
    options = result.stdout.split("Options:\n", 1)[1].split("\n\n", 1)[0]
    assert options == (
        "  [PATH]...\n"
        "  --label TEXT     A label to apply.  [required]\n"
        "  --count INTEGER  How many times.\n"
        "  --ratio FLOAT    A ratio value.\n"
        "  --flag           A boolean flag.\n"
        "  --names TEXT     Some names.\n"
        "  --extra TEXT     Extra key-value pairs.\n"
        "  --anything TEXT\n"
        "  --help           Show this message and exit."
    )


def test_file_steps_help_matches_golden(work: Path) -> None:
    write_file(
        work / "extra.py",
        '''
        from inspect_flow import step
        from inspect_flow.api import tag   # imported steps are not listed

        @step
        def other(logs):
            """Another step."""
            return logs

        @step
        def mark(logs):
            """Mark logs with a tag.

            More text that is not part of the one-line help.
            """
            return logs
        ''',
    )
    result = flow_cli("step", "extra.py", "--help")
    assert result.code == 0, result
    check_golden("step_file_help.txt", result.stdout)


def test_tag_help_is_the_reference_help_plus_json_shard_and_batch_size() -> None:
    reference = (GOLDEN / "reference_step_tag_help.txt").read_text()
    ours = flow_cli("step", "tag", "--help").stdout
    json_line = (
        "  --json                          Print a machine-readable report on stdout.\n"
        "  --shard I/N                     Process only part I of N (0-based) of the\n"
        "                                  selected logs, split by a stable hash of\n"
        "                                  each log's location: N machines given 0/N\n"
        "                                  ... N-1/N process every log once.\n"
        "  --batch-size N                  Process the logs in batches of N, each read,\n"
        "                                  run and written as its own all-or-nothing\n"
        "                                  transaction (bounded memory; the step sees\n"
        "                                  one batch at a time).  [x>=1]\n"
    )
    assert ours == reference.replace(
        "  --dry-run                       Preview changes without writing to disk.\n",
        "  --dry-run                       Preview changes without writing to disk.\n" + json_line,
    )


def test_step_group_lists_discovered_steps_sorted_with_first_paragraph(work: Path) -> None:
    write_file(
        work / "_flow.py",
        '''
        from inspect_flow import step

        @step
        def zeta(logs):
            """Last one.

            Not shown in the list.
            """
            return logs

        @step
        def alpha_step(logs):
            """First one, spread
            over two lines."""
            return logs

        @step
        def wordy(logs):
            """This one-line help is much too long to fit on one line of an eighty column
            terminal, so it is cut."""
            return logs

        @step
        def bare(logs):
            return logs
        ''',
    )
    result = flow_cli("step", "--help")
    assert result.code == 0, result
    commands = result.stdout.split("Commands:\n", 1)[1].splitlines()
    names = [line.split()[0] for line in commands]
    assert names == ["alpha", "bare", "copy", "metadata", "tag", "wordy", "zeta"]
    assert "  alpha     First one, spread over two lines." in commands
    assert "  zeta      Last one." in commands
    wordy = next(line for line in commands if line.startswith("  wordy"))
    assert wordy.endswith("...") and len(wordy) <= 78


@pytest.mark.parametrize("args", [["step"], ["step", "extra.py"]])
def test_group_without_subcommand_prints_its_help_exit_2(work: Path, args: list[str]) -> None:
    write_file(
        work / "extra.py", "from inspect_flow import step\n@step\ndef m(logs):\n  return logs\n"
    )
    result = flow_cli(*args)
    assert result.code == 2
    assert result.stdout.startswith(f"Usage: flow {' '.join(args)} [OPTIONS] COMMAND [ARGS]...")
    assert "Commands:" in result.stdout


def test_flow_alone_prints_help_and_version_prints_version() -> None:
    alone = flow_cli()
    assert alone.code == 0 and alone.stdout == flow_cli("--help").stdout
    version = flow_cli("--version")
    assert (version.code, version.stdout, version.stderr) == (0, "0.14.0\n", "")


def test_version_does_not_come_from_the_environment() -> None:
    result = flow_cli("step", "--help", env={"INSPECT_FLOW_VERSION": "0.14.0"})
    assert result.code == 0, result
    assert result.stdout.startswith("Usage: flow step")


def test_unknown_top_level_command_is_a_usage_error() -> None:
    result = flow_cli("nosuch")
    assert result.code == 2
    assert result.err_lines() == ["✗ Error: No such command 'nosuch'. (see 'flow --help')"]


def test_a_command_that_fails_to_import_is_reported_not_hidden(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from inspect_flow._cli import main

    broken = {**main._COMMANDS, "broken": ("nonexistent_module_xyz", "cmd", "Broken.")}
    monkeypatch.setattr(main, "_COMMANDS", broken)
    result = flow_cli("broken")
    assert result.code == 1
    assert result.err_lines() == [
        "✗ Error: ModuleNotFoundError: No module named 'nonexistent_module_xyz'"
    ]


# ---------------------------------------------------------------------------- start-up (subprocess)


def _imported_modules(
    args: list[str], cwd: Path
) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", str(FLOW_SCRIPT), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=60,
    )
    modules = {
        line.split("|")[-1].strip()
        for line in proc.stderr.splitlines()
        if line.startswith("import time:")
    }
    return proc, modules


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["step", "--help"]])
def test_startup_does_not_import_heavy_packages(work: Path, args: list[str]) -> None:
    proc, modules = _imported_modules(args, work)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert modules, "no -X importtime output"
    heavy = {m for m in modules if m.split(".")[0] in ("inspect_ai", "deltalake", "s3fs")}
    assert heavy == set()
    if args == ["--version"]:
        assert proc.stdout == "0.14.0\n"


# ----------------------------------------------------------------------------------- docs/cli.md


def test_docs_cli_md_is_up_to_date() -> None:
    spec = importlib.util.spec_from_file_location("gen_cli", REPO / "docs" / "gen_cli.py")
    assert spec is not None and spec.loader is not None
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    current = (REPO / "docs" / "cli.md").read_text()
    assert gen.render_document(current) == current, (
        "docs/cli.md is stale: run .venv/bin/python docs/gen_cli.py"
    )
    # Every command and option is in it.
    for text in ("### `flow step copy`", "--source-prefix TEXT", "--log-dir DIRECTORY", "--json"):
        assert text in current
