"""The Python step wrapper and the built-in ``tag``/``metadata`` steps on real local logs."""

from __future__ import annotations

import getpass
import subprocess
from pathlib import Path
from typing import Any

import pytest
from helpers.logs import LogFactory, read_header
from inspect_ai.log import EvalLog, MetadataEdit, TagsEdit

from inspect_flow._steps import author as author_module
from inspect_flow.api import FlowUsageError, PathNotFoundError, metadata, run_step, tag


def snapshot(files: list[Path]) -> dict[Path, tuple[bytes, int]]:
    return {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in files}


def uri(path: Path) -> str:
    return "file://" + str(path)


@pytest.fixture
def logs(make_logs: LogFactory, tmp_path: Path) -> list[Path]:
    return make_logs(tmp_path / "logs", n=2) + make_logs(tmp_path / "logs", n=1, fmt="json")


# ------------------------------------------------------------------------------------ inputs


def test_list_of_paths(logs: list[Path]) -> None:
    result = tag([str(p) for p in logs], add=["a"], author="me")

    assert sorted(log.location for log in result) == sorted(uri(p) for p in logs)
    assert all(log.tags == ["a"] and log.samples is None for log in result)
    for path in logs:
        assert read_header(path).tags == ["a"]


def test_single_path_string_is_one_path(
    logs: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    result = tag(str(logs[0]), add=["one"], author="me")

    assert [log.location for log in result] == [uri(logs[0])]
    assert read_header(logs[0]).tags == ["one"]
    assert read_header(logs[1]).tags == []
    assert "Could not read" not in capsys.readouterr().err


def test_path_object_and_directory_are_expanded(logs: list[Path], tmp_path: Path) -> None:
    result = tag(tmp_path / "logs", add=["dir"], author="me")

    assert sorted(log.location for log in result) == sorted(uri(p) for p in logs)
    assert all(read_header(p).tags == ["dir"] for p in logs)


def test_list_of_eval_logs_and_single_eval_log(logs: list[Path]) -> None:
    headers = [read_header(p) for p in logs]  # read by inspect_ai directly: plain-path locations

    result = tag(headers, add=["x"], author="me")
    assert [log.tags for log in result] == [["x"]] * 3
    assert all(read_header(p).tags == ["x"] for p in logs)

    single = metadata(result[0], set={"k": 1}, author="me")
    assert len(single) == 1 and single[0].metadata == {"k": 1}
    assert read_header(logs[0]).metadata == {"k": 1}
    assert read_header(logs[1]).metadata == {}


def test_returned_logs_can_be_passed_on(logs: list[Path]) -> None:
    first = tag([str(p) for p in logs], add=["a"], author="me")
    second = tag(first, add=["b"], remove=["a"], author="me")

    assert all(log.tags == ["b"] for log in second)
    for path in logs:
        header = read_header(path)
        assert header.tags == ["b"]
        assert len(header.log_updates or []) == 2  # no conflict with our own first write


def test_nonexistent_path_raises(tmp_path: Path, logs: list[Path]) -> None:
    before = snapshot(logs)
    with pytest.raises(PathNotFoundError):
        tag([str(logs[0]), str(tmp_path / "nope.eval")], add=["x"])
    assert snapshot(logs) == before


def test_dry_run_writes_nothing_and_returns_edited_logs(logs: list[Path]) -> None:
    before = snapshot(logs)

    result = tag([str(p) for p in logs], add=["dry"], author="me", dry_run=True)

    assert [log.tags for log in result] == [["dry"]] * 3
    assert all(len(log.log_updates or []) == 1 for log in result)
    assert snapshot(logs) == before
    assert list(logs[0].parent.iterdir()) == list(logs[0].parent.iterdir())  # no temp files
    assert sorted(p.name for p in logs[0].parent.iterdir()) == sorted(p.name for p in logs)


def test_zero_logs_return_empty_and_print_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "empty").mkdir()
    assert tag([], add=["x"]) == []
    assert tag(str(tmp_path / "empty"), add=["x"]) == []
    assert metadata([], set={"a": 1}) == []
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_call_line_is_printed(logs: list[Path], capsys: pytest.CaptureFixture[str]) -> None:
    tag([str(p) for p in logs], add=["x"], author="me")
    assert "  tag(logs=3, add=['x'], author='me')" in capsys.readouterr().err


# ------------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "At least one of 'add' or 'remove' must be provided."),
        ({"add": [], "remove": []}, "At least one of 'add' or 'remove' must be provided."),
        ({"add": [""]}, "Tag must be a non-empty string."),
        ({"add": ["ok"], "remove": ["  "]}, "Tag must be a non-empty string."),
        (
            {"add": ["x", "y"], "remove": ["x"]},
            "Tag(s) {'x'} appear in both tags_add and tags_remove.",
        ),
    ],
)
def test_tag_validation(logs: list[Path], kwargs: dict[str, Any], message: str) -> None:
    before = snapshot(logs)
    with pytest.raises(FlowUsageError) as info:
        tag([str(p) for p in logs], **kwargs)
    assert str(info.value) == message
    assert isinstance(info.value, ValueError)  # what reference callers catch
    assert snapshot(logs) == before


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "At least one of 'set' or 'remove' must be provided."),
        ({"set": {}}, "At least one of 'set' or 'remove' must be provided."),
        ({"set": {"": 1}}, "Metadata key must be a non-empty string."),
        ({"remove": [" "]}, "Metadata key must be a non-empty string."),
        (
            {"set": {"k": 1}, "remove": ["k"]},
            "Metadata key(s) {'k'} appear in both metadata_set and metadata_remove.",
        ),
    ],
)
def test_metadata_validation(logs: list[Path], kwargs: dict[str, Any], message: str) -> None:
    before = snapshot(logs)
    with pytest.raises(FlowUsageError) as info:
        metadata([str(p) for p in logs], **kwargs)
    assert str(info.value) == message
    assert snapshot(logs) == before


# ------------------------------------------------------------------------------- semantics


def test_tag_semantics_and_one_log_update_per_call(logs: list[Path]) -> None:
    paths = [str(p) for p in logs]
    tag(paths, add=["a", "b", "a", "x,y"], author="alice", reason="because")
    tag(paths, add=["c"], remove=["a", "missing"], author="bob")

    timestamps = set()
    for path in logs:
        header = read_header(path)
        assert header.tags == ["b", "c", "x,y"]
        updates = header.log_updates or []
        assert len(updates) == 2
        first, second = updates
        assert len(first.edits) == 1 and len(second.edits) == 1
        edit = first.edits[0]
        assert isinstance(edit, TagsEdit)
        assert edit.tags_add == ["a", "b", "x,y"]  # duplicates recorded once
        assert first.provenance.author == "alice" and first.provenance.reason == "because"
        edit2 = second.edits[0]
        assert isinstance(edit2, TagsEdit)
        assert edit2.tags_add == ["c"] and edit2.tags_remove == ["a"]
        assert second.provenance.author == "bob" and second.provenance.reason is None
        timestamps.add(first.provenance.timestamp)
    assert len(timestamps) == 1  # one provenance per call, shared by every log


def test_metadata_values_of_all_json_types_round_trip(logs: list[Path]) -> None:
    values: dict[str, Any] = {
        "int": 42,
        "float": 1.5,
        "str": "hello",
        "true": True,
        "false": False,
        "null": None,
        "list": [1, "x", None, [2.5]],
        "dict": {"a": {"b": [1, 2]}, "c": "d"},
        "unicode": "héllo ✓",
        "empty": "",
    }
    metadata([str(p) for p in logs], set=values, author="me")
    metadata([str(p) for p in logs], set={"int": 43}, remove=["str", "absent"], author="me")

    expected = {**values, "int": 43}
    del expected["str"]
    for path in logs:
        header = read_header(path)
        assert header.metadata == expected
        assert [type(v) for v in header.metadata.values()] == [type(v) for v in expected.values()]
        last = (header.log_updates or [])[-1].edits[0]
        assert isinstance(last, MetadataEdit)
        assert last.metadata_set == {"int": 43} and last.metadata_remove == ["str"]


def test_bare_string_tag_is_one_tag(logs: list[Path]) -> None:
    tag(str(logs[0]), add="reviewed", author="me")  # type: ignore[arg-type]
    assert read_header(logs[0]).tags == ["reviewed"]


# ---------------------------------------------------------------------------------- no-op


def test_noop_tag_and_metadata_leave_files_untouched(logs: list[Path]) -> None:
    paths = [str(p) for p in logs]
    tag(paths, add=["keep"], author="me")
    metadata(paths, set={"score": 0.5}, author="me")
    before = snapshot(logs)

    report = run_step(tag, paths, add=["keep"], remove=["absent"], author="me")
    assert {e.status for e in report.logs} == {"unchanged"}
    assert len(report.logs) == 3
    assert report.summary() == "tag: 3 unchanged"
    report = run_step(metadata, paths, set={"score": 0.5}, author="me")
    assert [e.status for e in report.logs] == ["unchanged"] * 3
    assert tag(paths, add=["keep"], author="me")[0].tags == ["keep"]

    assert snapshot(logs) == before
    assert sorted(p.name for p in logs[0].parent.iterdir()) == sorted(p.name for p in logs)


def test_partial_noop_writes_only_changed_logs(logs: list[Path]) -> None:
    tag(str(logs[0]), add=["done"], author="me")
    untouched = snapshot([logs[0]])

    report = run_step(tag, [str(p) for p in logs], add=["done"], author="me")

    by_location = {e.location: e.status for e in report.logs}
    assert by_location == {
        uri(logs[0]): "unchanged",
        uri(logs[1]): "written",
        uri(logs[2]): "written",
    }
    assert snapshot([logs[0]]) == untouched
    assert report.summary() == "tag: 2 written, 1 unchanged"


# ------------------------------------------------------------------------------- provenance


@pytest.fixture
def isolated_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A CWD outside any repo, with no global or system git config."""
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "no-global-gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    author_module._default_author.cache_clear()
    return work


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def _author_of(path: Path) -> str:
    return (read_header(path).log_updates or [])[-1].provenance.author


def test_author_explicit(logs: list[Path], isolated_git: Path) -> None:
    tag(str(logs[0]), add=["x"], author="Explicit Person")
    assert _author_of(logs[0]) == "Explicit Person"


def test_author_from_repo_git_config(logs: list[Path], isolated_git: Path) -> None:
    _git(isolated_git, "init", "-q")
    _git(isolated_git, "config", "user.name", "Ada Lovelace")
    _git(isolated_git, "config", "user.email", "ada@example.org")

    tag(str(logs[0]), add=["x"])
    assert _author_of(logs[0]) == "Ada Lovelace <ada@example.org>"
    tag(str(logs[0]), add=["y"], author="")  # empty counts as not given
    assert _author_of(logs[0]) == "Ada Lovelace <ada@example.org>"


def test_author_with_empty_email_is_the_name(logs: list[Path], isolated_git: Path) -> None:
    _git(isolated_git, "init", "-q")
    _git(isolated_git, "config", "user.name", "Only Name")
    _git(isolated_git, "config", "user.email", "")

    tag(str(logs[0]), add=["x"])
    assert _author_of(logs[0]) == "Only Name"


def test_author_falls_back_to_os_user(logs: list[Path], isolated_git: Path) -> None:
    tag(str(logs[0]), add=["x"])  # no repo, no config
    assert _author_of(logs[0]) == getpass.getuser()

    only_name = isolated_git / "repo"
    only_name.mkdir()
    _git(only_name, "init", "-q")
    _git(only_name, "config", "user.name", "Name Without Email")
    import os

    os.chdir(only_name)
    tag(str(logs[1]), add=["x"])
    assert _author_of(logs[1]) == getpass.getuser()  # a key unset: the OS user


def test_author_without_git_installed(
    logs: list[Path], isolated_git: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(isolated_git))  # no git executable on PATH
    tag(str(logs[0]), add=["x"])
    assert _author_of(logs[0]) == getpass.getuser()


def test_step_returned_evallogs_carry_location(logs: list[Path]) -> None:
    result = metadata([str(logs[0])], set={"a": 1}, author="me")
    assert isinstance(result[0], EvalLog)
    assert result[0].location == uri(logs[0])
