"""``--store`` on steps and ``store=`` in Python: input from a store, indexing what is written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers.cli import flow_cli, write_file
from helpers.logs import read_header
from helpers.store import read_table, uri

from inspect_flow.api import copy, run_step, store_get, tag


def _stored(work: Path, root: str = "st") -> list[str]:
    return sorted(row["log_path"] for row in read_table(work / root))


def test_store_without_path_processes_the_store_logs(
    work: Path, project: dict[str, list[Path]]
) -> None:
    store_get("st").import_log_path("logs/a")
    result = flow_cli("step", "tag", "--store", "st", "--add", "fromstore")
    assert result.code == 0, result
    assert result.err_lines()[:2] == [
        "Using store (read-write): st",
        "  tag(logs=3, add=['fromstore'])",
    ]
    assert all(read_header(p).tags == ["fromstore"] for p in project["a"])
    assert all(read_header(p).tags == [] for p in project["b"])
    assert result.out_lines() == ["tag: 3 written, 0 indexed in store"]


def test_store_inputs_are_filtered(work: Path, project: dict[str, list[Path]]) -> None:
    write_file(
        work / "_flow.py",
        """
        from inspect_flow import log_filter

        @log_filter
        def is_json(log):
            return log.location.endswith(".json")
        """,
    )
    store_get("st").import_log_path("logs", recursive=True)
    result = flow_cli("step", "tag", "--store", "st", "--filter", "is_json", "--add", "j")
    assert result.code == 0, result
    assert "Filter: is_json — 2/6 logs matched" in result.err_lines()
    assert [read_header(p).tags for p in project["b"] + project["a"]] == [["j"], ["j"], [], [], []]


def test_path_and_store_index_every_copy(work: Path, project: dict[str, list[Path]]) -> None:
    store_get("st")
    result = flow_cli("step", "copy", "logs/a", "--dest", "dest", "--store", "st", "--json")
    assert result.code == 0, result
    copies = sorted(uri(work / "dest" / p.name) for p in project["a"])
    assert _stored(work) == copies
    report = json.loads(result.stdout)
    assert report["store"] == {"path": str(work / "st"), "indexed": copies, "error": None}
    # the sources were processed but not written: they are not indexed
    again = flow_cli("step", "copy", "logs/a", "--dest", "dest", "--store", "st")
    assert again.code == 0, again
    assert _stored(work) == copies  # skipped destinations are already indexed: no new rows


def test_path_and_store_index_written_logs(work: Path, project: dict[str, list[Path]]) -> None:
    store_get("st")
    result = flow_cli("step", "tag", "logs/b", "--store", "st", "--add", "x")
    assert result.code == 0, result
    assert _stored(work) == sorted(uri(p) for p in project["b"] + project["sub"])
    assert result.out_lines() == ["tag: 3 written, 3 indexed in store"]
    unchanged = flow_cli("step", "tag", "logs/b", "--store", "st", "--add", "x")
    assert unchanged.out_lines() == ["tag: 3 unchanged, 0 indexed in store"]


def test_dry_run_indexes_nothing(work: Path, project: dict[str, list[Path]]) -> None:
    store_get("st")
    result = flow_cli("step", "tag", "logs/a", "--store", "st", "--add", "x", "--dry-run")
    assert result.code == 0, result
    assert _stored(work) == []
    assert all(read_header(p).tags == [] for p in project["a"])


def test_a_missing_store_is_an_error(work: Path, project: dict[str, list[Path]]) -> None:
    for args in (["--store", "st"], ["logs/a", "--store", "st"]):
        result = flow_cli("step", "tag", *args, "--add", "x")
        assert result.code == 1, result
        assert "Store not found at st" in result.stderr
    assert not (work / "st").exists()
    assert all(read_header(p).tags == [] for p in project["a"])


def test_store_from_environment(work: Path, project: dict[str, list[Path]]) -> None:
    env = {"INSPECT_FLOW_STORE": "st"}
    missing = flow_cli("step", "tag", "logs/a", "--add", "x", env=env)
    assert missing.code == 0, missing  # PATH still works without the store
    assert "written logs are not indexed" in missing.stderr
    assert all(read_header(p).tags == ["x"] for p in project["a"])

    store_get("st")
    indexed = flow_cli("step", "tag", "logs/a", "--add", "y", env=env)
    assert indexed.code == 0, indexed
    assert _stored(work) == sorted(uri(p) for p in project["a"])
    from_store = flow_cli("step", "tag", "--add", "z", env=env)
    assert from_store.code == 0, from_store
    assert all(read_header(p).tags == ["x", "y", "z"] for p in project["a"])


def test_neither_path_nor_store(work: Path) -> None:
    result = flow_cli("step", "tag", "--add", "x")
    assert result.code == 2 and "Either PATH or --store is required." in result.stderr


def test_a_store_failure_never_undoes_the_writes(
    work: Path, project: dict[str, list[Path]]
) -> None:
    store_get("st")
    write_file(
        work / "_flow.py",
        """
        import shutil
        from pathlib import Path
        from inspect_flow import step
        from inspect_flow.api import tag

        @step
        def tag_and_break(logs):
            logs = tag(logs, add=["kept"])
            log_dir = Path("st/flow_store/_table_logs/_delta_log")
            shutil.rmtree(log_dir)
            log_dir.write_text("not a directory")
            return logs
        """,
    )
    result = flow_cli("step", "tag_and_break", "logs/a", "--store", "st", "--json")
    assert result.code == 1, result
    assert all(read_header(p).tags == ["kept"] for p in project["a"])
    report = json.loads(result.stdout)
    assert report["ok"] is False and report["summary"] == {"written": 3}
    assert report["store"]["error"].startswith("Could not index the written logs in the store")
    assert "✗ Could not index the written logs in the store" in result.stderr


def test_python_store_argument_creates_and_indexes(
    work: Path, project: dict[str, list[Path]]
) -> None:
    logs = tag([str(p) for p in project["a"]], add=["py"], store="st")
    assert [log.tags for log in logs] == [["py"]] * 3
    assert _stored(work) == sorted(uri(p) for p in project["a"])

    store = store_get("st")
    copy([str(p) for p in project["b"]], dest="copies", store=store)
    assert _stored(work) == sorted(
        [uri(p) for p in project["a"]] + [uri(work / "copies" / p.name) for p in project["b"]]
    )


def test_run_step_takes_the_store_logs(work: Path, project: dict[str, list[Path]]) -> None:
    store = store_get("st")
    store.import_log_path("logs/b")
    report = run_step(tag, [], store=store, add=["all"])
    assert report.store == str(work / "st") and report.indexed == []
    assert sorted(e.location for e in report.logs) == sorted(uri(p) for p in project["b"])
    assert all(read_header(p).tags == ["all"] for p in project["b"])


def test_store_none_means_no_store(work: Path, project: dict[str, list[Path]]) -> None:
    report = run_step(tag, "logs/a", store="none", add=["n"])
    assert report.store == "" and report.ok
    assert not (work / "none").exists()
    with pytest.raises(Exception, match="No logs found"):
        run_step(tag, [], add=["n"])


def test_a_nested_call_cannot_attach_a_store(work: Path, project: dict[str, list[Path]]) -> None:
    from inspect_flow import step
    from inspect_flow._errors import FlowUsageError

    @step
    def outer(logs):  # type: ignore[no-untyped-def]
        return tag(logs, add=["inner"], store="st")

    with pytest.raises(FlowUsageError, match="only taken by the outermost step call"):
        outer([str(p) for p in project["a"]])
    assert not (work / "st").exists()
    assert all(read_header(p).tags == [] for p in project["a"])


def test_a_failed_commit_still_indexes_what_earlier_flushes_wrote(
    work: Path, project: dict[str, list[Path]]
) -> None:
    store_get("st")
    write_file(
        work / "_flow.py",
        """
        import os
        from inspect_flow import step, StepResult
        from inspect_flow.api import tag

        @step
        def flush_now(logs):
            return StepResult(tag(logs, add=["one"]), flush=True)

        @step
        def two_batches(logs):
            flush_now(logs[:2])
            last = logs[2].location.removeprefix("file://")
            os.utime(last, (1, 1))  # someone else changes the last log: its commit conflicts
            return tag(logs[2:], add=["two"])
        """,
    )
    result = flow_cli("step", "two_batches", "logs/a", "--store", "st", "--json")
    assert result.code == 1, result
    first_two = sorted(uri(p) for p in project["a"])[:2]
    assert _stored(work) == first_two
    assert json.loads(result.stdout)["store"]["indexed"] == first_two
