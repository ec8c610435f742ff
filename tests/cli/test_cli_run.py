"""Running steps through the real CLI: streams, dry run, --json, every error line and exit code."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from helpers.cli import flow_cli, write_file
from helpers.logs import LogFactory, read_header

ANSI = re.compile(r"\x1b\[")


@pytest.fixture
def logs(work: Path, make_logs: LogFactory) -> list[Path]:
    """Three logs under work/logs: two .eval and one .json (sorted by name = creation order)."""
    return make_logs(work / "logs", n=2) + make_logs(work / "logs", n=1, fmt="json")


def snapshot(paths: list[Path]) -> list[tuple[bytes, int]]:
    return [(p.read_bytes(), p.stat().st_mtime_ns) for p in paths]


def rel(path: Path) -> str:
    return os.path.relpath(path)


# ------------------------------------------------------------------------------- normal runs


def test_tag_prints_call_line_on_stderr_and_summary_on_stdout(logs: list[Path]) -> None:
    result = flow_cli("step", "tag", "logs", "--add", "foo", "--add", "bar")
    assert result.code == 0, result
    assert result.stderr == "  tag(logs=3, add=['foo', 'bar'])\n"
    assert result.stdout == "tag: 3 written\n"
    assert [sorted(read_header(p).tags) for p in logs] == [["bar", "foo"]] * 3
    # Again: a no-op writes nothing.
    before = snapshot(logs)
    again = flow_cli("step", "tag", "logs", "--add", "foo")
    assert (again.code, again.stdout) == (0, "tag: 3 unchanged\n")
    assert snapshot(logs) == before


def test_metadata_values_and_call_line_order(logs: list[Path]) -> None:
    result = flow_cli(
        "step", "metadata", "logs", "--reason", "R", "--set", "n=42", "--set",
        'scan={"model": "gpt-4o"}', "--set", "s=hello",
    )  # fmt: skip
    assert result.code == 0, result
    assert result.err_lines() == [
        "  metadata(logs=3, reason='R', set={'n': 42, 'scan': {'model': 'gpt-4o'}, 's': 'hello'})"
    ]
    header = read_header(logs[0])
    assert header.metadata == {"n": 42, "scan": {"model": "gpt-4o"}, "s": "hello"}
    assert header.log_updates is not None and header.log_updates[-1].provenance.reason == "R"


def test_author_and_reason_are_recorded(logs: list[Path]) -> None:
    result = flow_cli(
        "step", "tag", rel(logs[0]), "--add", "x", "--author", "Alice <a@x.org>", "--reason", "QA"
    )
    assert result.code == 0, result
    [update] = read_header(logs[0]).log_updates or []
    assert (update.provenance.author, update.provenance.reason) == ("Alice <a@x.org>", "QA")


def test_copy_layouts_and_skips(work: Path, logs: list[Path], make_logs: LogFactory) -> None:
    [nested] = make_logs(work / "logs" / "sub", n=1)
    flat = flow_cli("step", "copy", "logs", "--dest", "flat")
    assert (flat.code, flat.stdout) == (0, "copy: 4 copied\n"), flat
    assert sorted(p.name for p in (work / "flat").iterdir()) == sorted(
        p.name for p in [*logs, nested]
    )
    kept = flow_cli("step", "copy", "logs", "--dest", "tree", "--source-prefix", "logs")
    assert kept.code == 0, kept
    assert (work / "tree" / "sub" / nested.name).exists()
    suffixed = flow_cli("step", "copy", rel(logs[2]), "--dest", "flat", "--suffix", "+re")
    assert suffixed.code == 0, suffixed
    assert (work / "flat" / logs[2].name.replace(".json", "+re.json")).exists()
    # Existing destinations are skipped with a warning and left untouched.
    before = snapshot(sorted((work / "flat").iterdir()))
    again = flow_cli("step", "copy", "logs", "--dest", "flat")
    assert (again.code, again.stdout) == (0, "copy: 4 skipped\n"), again
    assert f"⚠ Skipping (already exists): flat/{logs[0].name}" in again.err_lines()
    assert snapshot(sorted((work / "flat").iterdir())) == before


# ---------------------------------------------------------------------------------- dry run


def test_dry_run_previews_each_change_and_writes_nothing(work: Path, logs: list[Path]) -> None:
    assert flow_cli("step", "tag", "logs", "--add", "old").code == 0
    before = snapshot(logs)
    result = flow_cli("step", "tag", "logs", "--add", "new", "--remove", "old", "--dry-run")
    assert result.code == 0, result
    assert result.err_lines() == [
        "[DRY RUN] will not write changes",
        "  tag(logs=3, add=['new'], remove=['old'])",
    ]
    assert result.out_lines() == [
        *(f"would write {rel(p)}: tags +new -old" for p in logs),
        "[DRY RUN] tag: 3 would write",
    ]
    meta = flow_cli("step", "metadata", "logs", "--set", "k=1", "--dry-run")
    assert meta.out_lines()[0] == f"would write {rel(logs[0])}: metadata +k=1"
    copy = flow_cli("step", "copy", "logs", "--dest", "out", "--dry-run")
    assert copy.out_lines() == [
        *(f"would copy {rel(p)} → out/{p.name}" for p in logs),
        "[DRY RUN] copy: 3 would copy",
    ]
    assert snapshot(logs) == before
    assert not (work / "out").exists()


def test_json_report_is_pure_json_on_stdout(logs: list[Path]) -> None:
    assert flow_cli("step", "tag", rel(logs[0]), "--add", "x").code == 0
    result = flow_cli("step", "tag", "logs", "--add", "x", "--json")
    assert result.code == 0, result
    report = json.loads(result.stdout)
    assert report["step"] == "tag" and report["ok"] is True and report["dry_run"] is False
    assert report["summary"] == {"written": 2, "unchanged": 1}
    by_path = {entry["path"]: entry for entry in report["logs"]}
    assert set(by_path) == {rel(p) for p in logs}
    assert by_path[rel(logs[1])]["status"] == "written"
    assert by_path[rel(logs[1])]["changes"] == ["tags +x"]
    assert by_path[rel(logs[0])]["status"] == "unchanged"
    assert by_path[rel(logs[0])]["location"] == logs[0].resolve().as_uri()
    assert result.err_lines() == ["  tag(logs=3, add=['x'])"]

    dry = flow_cli("step", "copy", "logs", "--dest", "out", "--dry-run", "--json")
    report = json.loads(dry.stdout)
    assert report["dry_run"] is True and report["summary"] == {"would copy": 3}


# ----------------------------------------------------------------------------- display options


def test_display_none_prints_nothing_but_errors(logs: list[Path]) -> None:
    quiet = flow_cli("step", "tag", "logs", "--add", "x", "--display", "none")
    assert (quiet.code, quiet.stdout, quiet.stderr) == (0, "", "")
    failing = flow_cli("step", "tag", "logs", "--display", "none")
    assert failing.code == 2
    assert failing.err_lines() == [
        "✗ Error: At least one of --add or --remove must be provided. (see 'flow step tag --help')"
    ]
    from_env = flow_cli("step", "tag", "logs", "--add", "y", env={"INSPECT_FLOW_DISPLAY": "none"})
    assert (from_env.code, from_env.stdout, from_env.stderr) == (0, "", "")


def test_display_plain_has_no_colour_or_progress_even_when_forced(
    work: Path, logs: list[Path], make_logs: LogFactory
) -> None:
    make_logs.corrupt(work / "logs")
    forced = {"FORCE_COLOR": "1", "TTY_COMPATIBLE": "1"}
    full = flow_cli("step", "tag", "logs", "--add", "x", env=forced)
    assert ANSI.search(full.stderr), "the forced terminal should have colour in full mode"
    plain = flow_cli("step", "tag", "logs", "--add", "y", "--display", "plain", env=forced)
    assert plain.code == 1
    assert not ANSI.search(plain.output)
    assert plain.err_lines()[0].startswith("✗ Could not read log logs/")
    assert "Reading logs" not in plain.stderr


def test_log_level_debug_enables_logging(logs: list[Path]) -> None:
    result = flow_cli("step", "tag", "logs", "--add", "x", "--log-level", "DEBUG")
    assert result.code == 0, result
    assert any(line.startswith("DEBUG ") for line in result.err_lines())


# ------------------------------------------------------------------------ errors and exit codes


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (
            ["tag", "logs"],
            2,
            "✗ Error: At least one of --add or --remove must be provided. "
            "(see 'flow step tag --help')",
        ),
        (
            ["tag", "logs", "--add", " "],
            2,
            "✗ Error: --add: a tag must be a non-empty string. (see 'flow step tag --help')",
        ),
        (
            ["tag", "logs", "--add", "a", "--remove", "a"],
            2,
            "✗ Error: Tag(s) {'a'} given to both --add and --remove: give each tag to only one "
            "of them. (see 'flow step tag --help')",
        ),
        (
            ["metadata", "logs"],
            2,
            "✗ Error: At least one of --set or --remove must be provided. "
            "(see 'flow step metadata --help')",
        ),
        (
            ["metadata", "logs", "--set", "=1"],
            2,
            "✗ Error: --set: a metadata key must be a non-empty string. "
            "(see 'flow step metadata --help')",
        ),
        (
            ["metadata", "logs", "--set", "k=1", "--remove", "k"],
            2,
            "✗ Error: Metadata key(s) {'k'} given to both --set and --remove: give each key to "
            "only one of them. (see 'flow step metadata --help')",
        ),
        (
            ["metadata", "logs", "--set", "foo"],
            2,
            "✗ Error: Invalid value: Expected key=value format, got: foo "
            "(see 'flow step metadata --help')",
        ),
        (
            ["copy", "logs"],
            2,
            "✗ Error: Missing option '--dest'. (see 'flow step copy --help')",
        ),
        (["copy", "logs", "--dest", ""], 2, "✗ Error: Missing destination: 'dest' is required."),
        (["tag", "logs", "nope", "--add", "x"], 2, "✗ Error: Path not found: nope"),
        (
            ["tag", "--add", "x"],
            2,
            "✗ Error: Either PATH or --store is required. (see 'flow step tag --help')",
        ),
        (
            ["tag", "logs", "--add", "x", "--display", "loud"],
            2,
            "✗ Error: Invalid value for '--display': 'loud' is not one of 'full', "
            "'conversation', 'rich', 'plain', 'log', 'none'. (see 'flow step tag --help')",
        ),
    ],
)
def test_user_mistakes_are_one_line_with_exit_code(
    logs: list[Path], args: list[str], code: int, message: str
) -> None:
    before = snapshot(logs)
    result = flow_cli("step", *args)
    assert result.code == code, result
    errors = [line for line in result.err_lines() if line.startswith("✗")]
    assert errors == [message]
    assert result.stdout == ""
    assert "Traceback" not in result.output
    assert snapshot(logs) == before


def test_copy_onto_itself_is_refused(logs: list[Path]) -> None:
    before = snapshot(logs)
    result = flow_cli("step", "copy", "logs", "--dest", "logs", "--overwrite")
    assert result.code == 2
    assert result.err_lines()[-1] == f"✗ Error: Refusing to copy a log onto itself: {rel(logs[0])}"
    assert snapshot(logs) == before


def test_unreadable_logs_are_reported_never_modified_and_exit_1(
    work: Path, logs: list[Path], make_logs: LogFactory
) -> None:
    corrupt = make_logs.corrupt(work / "logs")
    truncated = make_logs.truncated(work / "logs")
    bad_before = snapshot([corrupt, truncated])
    result = flow_cli("step", "tag", "logs", "--add", "x")
    assert result.code == 1
    errors = [line for line in result.err_lines() if line.startswith("✗")]
    assert sorted(line.split(": ")[0] for line in errors) == sorted(
        f"✗ Could not read log {rel(p)}" for p in (corrupt, truncated)
    )
    assert result.out_lines() == ["tag: 3 written, 2 unreadable"]
    assert snapshot([corrupt, truncated]) == bad_before
    assert all(read_header(p).tags == ["x"] for p in logs)  # the readable ones were processed
    report = json.loads(flow_cli("step", "tag", "logs", "--add", "y", "--json").stdout)
    assert report["ok"] is False and report["summary"] == {"written": 3, "unreadable": 2}


CONFLICT = """
import os
from inspect_flow import step
from inspect_flow.api import tag

@step
def meddle(logs):
    \"\"\"Someone else changes the files while we work.\"\"\"
    for log in logs:
        path = log.location.removeprefix("file://")
        st = os.stat(path)
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    return tag(logs, add=["ours"])

@step
def boom(logs):
    \"\"\"Edits, then fails.\"\"\"
    tag(logs, add=["never"])
    raise RuntimeError("step failed")

@step
def interrupted(logs):
    \"\"\"Edits, then Ctrl+C.\"\"\"
    tag(logs, add=["never"])
    raise KeyboardInterrupt
"""


def test_conflicts_are_reported_and_nothing_is_written(work: Path, logs: list[Path]) -> None:
    write_file(work / "_flow.py", CONFLICT)
    contents = [p.read_bytes() for p in logs]
    result = flow_cli("step", "meddle", "logs")
    assert result.code == 1
    errors = [line for line in result.err_lines() if line.startswith("✗")]
    assert errors[:3] == [f"✗ conflict: {rel(p)}: Log changed since it was read" for p in logs]
    assert errors[3].startswith("✗ Error: Nothing written: ")
    assert len(errors) == 4
    assert result.out_lines() == ["meddle: 3 conflict"]
    assert [p.read_bytes() for p in logs] == contents


def test_a_failing_step_writes_nothing_and_shows_no_traceback(work: Path, logs: list[Path]) -> None:
    write_file(work / "_flow.py", CONFLICT)
    before = snapshot(logs)
    lines = (work / "_flow.py").read_text().splitlines()
    boom_line = lines.index('    raise RuntimeError("step failed")') + 1
    result = flow_cli("step", "boom", "logs")
    assert result.code == 1
    assert result.err_lines() == [
        "  boom(logs=3)",
        "    tag(logs=3, add=['never'])",
        f"✗ Error: Step 'boom' failed ({work / '_flow.py'}:{boom_line}): RuntimeError: step failed",
    ]
    assert snapshot(logs) == before
    # The traceback is opt-in.
    verbose = flow_cli("step", "boom", "logs", env={"INSPECT_FLOW_TRACEBACK": "1"})
    assert "Traceback (most recent call last)" in verbose.stderr
    assert verbose.err_lines()[-1].endswith("): RuntimeError: step failed")


def test_interrupt_is_exit_130_and_writes_nothing(work: Path, logs: list[Path]) -> None:
    write_file(work / "_flow.py", CONFLICT)
    before = snapshot(logs)
    result = flow_cli("step", "interrupted", "logs")
    assert result.code == 130
    assert result.err_lines()[-1] == "✗ Interrupted"
    assert snapshot(logs) == before


# ------------------------------------------------------------------------------------ the store


def test_store_env_var_does_not_break_path_runs(logs: list[Path]) -> None:
    result = flow_cli("step", "tag", "logs", "--add", "x", env={"INSPECT_FLOW_STORE": "auto"})
    assert result.code == 0, result
    assert all(read_header(p).tags == ["x"] for p in logs)


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["--store"], {}),
        (["--store", "somewhere"], {}),
        (["logs", "--store"], {}),
        ([], {"INSPECT_FLOW_STORE": "auto"}),
    ],
)
def test_a_missing_store_is_a_clean_error(
    logs: list[Path], args: list[str], env: dict[str, Any], tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "no-store-here"))
    before = snapshot(logs)
    result = flow_cli("step", "tag", *args, "--add", "x", env=env)
    assert result.code == 1
    assert len(result.err_lines()) == 1
    assert result.err_lines()[0].startswith("✗ Error: Store not found at ")
    assert result.err_lines()[0].endswith(
        "Run 'flow store import' to create the store and import logs."
    )
    assert snapshot(logs) == before
