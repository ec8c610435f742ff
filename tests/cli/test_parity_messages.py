"""Messages that name the user's words: step options, step files, S3 buckets, step errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from helpers.cli import flow_cli, write_file
from helpers.logs import LogFactory


def test_copy_to_a_missing_bucket_says_the_bucket_does_not_exist(
    work: Path, make_logs: LogFactory, s3_bucket: str, s3_client: Any
) -> None:
    make_logs(work / "logs", n=1)
    missing = f"{s3_bucket}-missing"
    result = flow_cli("step", "copy", "logs", "--dest", f"{missing}/prod/")
    assert result.code == 1
    assert f"Bucket does not exist: {missing}" in result.stderr, result
    assert "no longer exists" not in result.stderr


EXTRA = """
from inspect_flow import step


@step
def mark(logs):
    \"\"\"Mark logs.\"\"\"
    return logs


@step
def other(logs):
    \"\"\"Another step.\"\"\"
    return logs


@step
def explode(logs):
    \"\"\"Fails on purpose.\"\"\"
    values = {}
    return values["missing"]
"""


def test_unknown_step_in_a_file_lists_the_steps_there(work: Path) -> None:
    write_file(work / "extra.py", EXTRA)
    write_file(work / "empty.py", "X = 1\n")
    shorthand = flow_cli("step", "extra.py@nope", "logs")
    assert shorthand.code == 2
    assert shorthand.err_lines() == [
        "✗ Error: No step 'nope' in extra.py. Steps there: explode, mark, other. "
        "(see 'flow step --help')"
    ]
    two_tokens = flow_cli("step", "extra.py", "nope", "logs")
    assert two_tokens.code == 2
    assert two_tokens.err_lines()[0].startswith(
        "✗ Error: No step 'nope' in extra.py. Steps there: explode, mark, other."
    )
    none = flow_cli("step", "empty.py@x", "logs")
    assert none.code == 2
    assert "No step 'x' in empty.py: it defines no steps" in none.stderr


def test_an_error_in_a_step_names_the_step_and_its_line(work: Path, make_logs: LogFactory) -> None:
    make_logs(work / "logs", n=1)
    write_file(work / "extra.py", EXTRA)
    lines = (work / "extra.py").read_text().splitlines()
    line = lines.index('    return values["missing"]') + 1
    result = flow_cli("step", "extra.py@explode", "logs")
    assert result.code == 1
    assert result.err_lines()[-1] == (
        f"✗ Error: Step 'explode' failed ({work / 'extra.py'}:{line}): KeyError: 'missing'"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["tag", "logs"],
            "✗ Error: At least one of --add or --remove must be provided. "
            "(see 'flow step tag --help')",
        ),
        (
            ["tag", "logs", "--add", "x", "--remove", "x"],
            "✗ Error: Tag(s) {'x'} given to both --add and --remove: give each tag to only one "
            "of them. (see 'flow step tag --help')",
        ),
        (
            ["metadata", "logs", "--set", "k=1", "--remove", "k"],
            "✗ Error: Metadata key(s) {'k'} given to both --set and --remove: give each key to "
            "only one of them. (see 'flow step metadata --help')",
        ),
    ],
)
def test_option_errors_come_before_any_log_is_read(
    work: Path, make_logs: LogFactory, args: list[str], message: str
) -> None:
    make_logs(work / "logs", n=1)
    make_logs.corrupt(work / "logs")  # reading it would print "Could not read log ..."
    result = flow_cli("step", *args)
    assert result.code == 2
    assert result.err_lines() == [message]
    assert result.stdout == ""
