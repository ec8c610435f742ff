"""``run_step``: expansion, callable filters, sorting, reports, dry runs, ``expand_paths=False``."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.logs import LogFactory, read_header
from inspect_ai.log import EvalLog

from inspect_flow import step
from inspect_flow.api import NoLogsError, StepReport, metadata, run_step, tag


def snapshot(files: list[Path]) -> dict[Path, tuple[bytes, int]]:
    return {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in files}


def uri(path: Path) -> str:
    return "file://" + str(path)


@pytest.fixture
def logs(make_logs: LogFactory, tmp_path: Path) -> dict[str, list[Path]]:
    root = tmp_path / "logs"
    return {
        "eval": make_logs(root, n=2, fmt="eval"),
        "json": make_logs(root / "sub", n=1, fmt="json"),
        "error": make_logs(root / "sub", n=1, status="error"),
    }


def everything(logs: dict[str, list[Path]]) -> list[Path]:
    return [p for group in logs.values() for p in group]


SEEN: list[list[str]] = []


@step
def record_order(logs: list[EvalLog]) -> list[EvalLog]:
    SEEN.append([log.location for log in logs])
    return tag(logs, add=["seen"], author="me")


def is_success(log: EvalLog) -> bool:
    return log.status == "success"


def is_json(log: EvalLog) -> bool:
    return log.location.endswith(".json")


def test_report_statuses_and_sorted_input(
    logs: dict[str, list[Path]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tag(str(logs["eval"][0]), add=["seen"], author="me")  # this one will be unchanged
    SEEN.clear()

    report = run_step(record_order, str(tmp_path / "logs"))

    assert isinstance(report, StepReport)
    expected = sorted(uri(p) for p in everything(logs))
    assert SEEN == [expected]  # sorted by location
    statuses = {e.location: e.status for e in report.logs}
    assert statuses == {
        loc: "unchanged" if loc == uri(logs["eval"][0]) else "written" for loc in expected
    }
    assert report.ok
    assert report.counts() == {"written": 3, "unchanged": 1}
    assert report.summary() == "record_order: 3 written, 1 unchanged"
    data = report.to_json()
    assert data["ok"] is True and data["summary"] == {"written": 3, "unchanged": 1}
    written = [e for e in data["logs"] if e["status"] == "written"]
    assert all(e["changes"] == ["tags +seen"] for e in written)
    assert all(read_header(p).tags == ["seen"] for p in everything(logs))
    assert "  record_order(logs=4)" in capsys.readouterr().err


def is_error(log: EvalLog) -> bool:
    return log.status == "error"


def test_callable_filters_in_order(
    logs: dict[str, list[Path]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = run_step(
        tag,
        str(tmp_path / "logs"),
        filter=[is_success, lambda log: "/sub/" in log.location],
        exclude=is_error,
        add=["picked"],
        author="me",
    )

    assert [(e.location, e.status) for e in report.logs] == [(uri(logs["json"][0]), "written")]
    err = capsys.readouterr().err
    assert "Filter: is_success — 3/4 logs matched" in err
    assert "Filter: <lambda> — 1/3 logs matched" in err
    assert "Exclude: is_error — 1/1 logs remaining" in err
    assert err.index("is_success") < err.index("<lambda>") < err.index("Exclude: is_error")
    assert read_header(logs["json"][0]).tags == ["picked"]


def test_filters_select_what_is_written(logs: dict[str, list[Path]], tmp_path: Path) -> None:
    untouched = logs["json"] + logs["error"]
    before = snapshot(untouched)

    report = run_step(
        tag, str(tmp_path / "logs"), filter=is_success, exclude=[is_json], add=["ok"], author="me"
    )

    assert sorted(e.location for e in report.logs) == sorted(uri(p) for p in logs["eval"])
    assert {e.status for e in report.logs} == {"written"}
    assert snapshot(untouched) == before
    assert all(read_header(p).tags == ["ok"] for p in logs["eval"])


def test_no_logs_is_an_error(logs: dict[str, list[Path]], tmp_path: Path) -> None:
    before = snapshot(everything(logs))
    with pytest.raises(NoLogsError, match="No logs found"):
        run_step(tag, str(tmp_path / "logs"), filter=lambda log: False, add=["x"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(NoLogsError):
        run_step(tag, str(tmp_path / "empty"), add=["x"])
    with pytest.raises(NoLogsError):
        run_step(tag, str(tmp_path / "empty"), filter=is_success, add=["x"])
    with pytest.raises(NoLogsError):
        run_step(tag, [], add=["x"])
    assert snapshot(everything(logs)) == before


def test_dry_run_report_previews_changes(
    logs: dict[str, list[Path]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    metadata(str(logs["eval"][0]), set={"score": 0.5}, author="me")
    before = snapshot(everything(logs))

    report = run_step(
        metadata, str(logs["eval"][0]), dry_run=True, set={"score": 0.95, "new": 1}, author="me"
    )
    assert report.dry_run
    (entry,) = report.logs
    assert entry.status == "would write"
    assert entry.changes == ["metadata score: 0.5 → 0.95, +new=1"]
    assert report.summary() == "[DRY RUN] metadata: 1 would write"

    report = run_step(tag, str(tmp_path / "logs"), dry_run=True, add=["x"], author="me")
    assert {e.status for e in report.logs} == {"would write"}
    assert all(e.changes == ["tags +x"] for e in report.logs)
    assert snapshot(everything(logs)) == before
    assert "[DRY RUN] will not write changes" in capsys.readouterr().err


def test_expand_paths_false_takes_paths_as_log_files(
    logs: dict[str, list[Path]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    json_log = logs["json"][0]
    relative = f"logs/../logs/sub/{json_log.name}"

    report = run_step(tag, [relative, "logs"], expand_paths=False, add=["x"], author="me")

    statuses = {e.location: e.status for e in report.logs}
    assert statuses[uri(json_log)] == "written"  # normalised to the same URI as a listing gives
    assert statuses[uri(tmp_path / "logs")] == "unreadable"  # a directory is not expanded
    assert read_header(json_log).tags == ["x"]
    assert all(read_header(p).tags == [] for p in logs["eval"])


def test_step_by_name_and_evallog_inputs(logs: dict[str, list[Path]]) -> None:
    headers = [read_header(p) for p in logs["eval"]]
    report = run_step("tag", headers, add=["named"], author="me")
    assert {e.status for e in report.logs} == {"written"}
    assert all(read_header(p).tags == ["named"] for p in logs["eval"])


def test_unreadable_only_run_reports_and_writes_nothing(
    make_logs: LogFactory, tmp_path: Path
) -> None:
    bad = make_logs.corrupt(tmp_path / "bad")
    before = snapshot([bad])
    report = run_step(tag, str(tmp_path / "bad"), add=["x"], author="me")
    assert [(e.location, e.status) for e in report.logs] == [(uri(bad), "unreadable")]
    assert not report.ok
    assert snapshot([bad]) == before
