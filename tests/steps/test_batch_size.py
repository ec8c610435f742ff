"""``run_step(..., batch_size=N)`` / ``--batch-size N``: each batch an all-or-nothing commit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers.cli import flow_cli, isolated_cli
from helpers.logs import LogFactory, read_header
from inspect_ai.log import EvalLog

from inspect_flow import step
from inspect_flow.api import CommitError, FlowUsageError, NoLogsError, run_step, tag

SEEN: list[list[str]] = []
INTERFERE: dict[str, bytes] = {}  # location -> bytes another process writes while we run


@step
def recording_tag(logs: list[EvalLog]) -> list[EvalLog]:
    SEEN.append([log.location for log in logs])
    for log in logs:  # another process rewrites one log between our read and our commit
        if log.location in INTERFERE:
            Path(log.location.removeprefix("file://")).write_bytes(INTERFERE[log.location])
    return tag(logs, add=["b"], author="me")


@pytest.fixture
def ten(make_logs: LogFactory, tmp_path: Path) -> list[Path]:
    SEEN.clear()
    INTERFERE.clear()
    return sorted(make_logs(tmp_path / "logs", n=10))


def test_batches_in_location_order_every_log_written(ten: list[Path]) -> None:
    report = run_step(recording_tag, str(ten[0].parent), batch_size=4)
    assert report.ok and report.counts() == {"written": 10}
    assert [len(batch) for batch in SEEN] == [4, 4, 2]
    assert [loc for batch in SEEN for loc in batch] == ["file://" + str(p) for p in ten]
    assert all("b" in read_header(p).tags for p in ten)


def test_a_failed_batch_ends_the_run_earlier_batches_stay_and_a_rerun_resumes(
    ten: list[Path],
) -> None:
    victim = ten[5]  # in the second batch of 4
    INTERFERE["file://" + str(victim)] = victim.read_bytes()  # same bytes, new version token
    untouched = {p: p.read_bytes() for p in ten[4:]}
    with pytest.raises(CommitError) as caught:
        run_step(recording_tag, str(ten[0].parent), batch_size=4)
    assert len(SEEN) == 2  # the third batch was never read
    assert all("b" in read_header(p).tags for p in ten[:4])  # committed before the failure
    assert {p: p.read_bytes() for p in ten[4:]} == untouched  # the failed batch: all or nothing
    report = caught.value.report
    assert report is not None
    statuses = {e.location: e.status for e in report.logs}
    assert statuses["file://" + str(victim)] == "conflict"
    assert statuses["file://" + str(ten[4])] == "not written"

    INTERFERE.clear()
    SEEN.clear()
    again = run_step(recording_tag, str(ten[0].parent), batch_size=4)  # resume: same command
    assert again.ok
    assert again.counts() == {"written": 6, "unchanged": 4}
    assert all(read_header(p).tags.count("b") == 1 for p in ten)


def test_filters_count_once_over_all_batches(ten: list[Path]) -> None:
    keep = {"file://" + str(p) for p in ten[1::3]}

    def odd(log: EvalLog) -> bool:
        return log.location in keep

    plain = run_step(tag, str(ten[0].parent), dry_run=True, add=["x"], filter=odd)
    batched = run_step(tag, str(ten[0].parent), dry_run=True, add=["x"], filter=odd, batch_size=3)
    assert [e.location for e in batched.logs] == [e.location for e in plain.logs]
    notes = [n.message for n in batched.notices if n.kind == "filter"]
    assert notes == [n.message for n in plain.notices if n.kind == "filter"]
    assert notes == ["Filter: odd — 3/10 logs matched"]


def test_dry_run_and_shard_with_batches(ten: list[Path]) -> None:
    whole = run_step(tag, str(ten[0].parent), dry_run=True, add=["x"], shard=(1, 3))
    batched = run_step(tag, str(ten[0].parent), dry_run=True, add=["x"], shard=(1, 3), batch_size=2)
    assert [e.location for e in batched.logs] == [e.location for e in whole.logs]
    assert {e.status for e in batched.logs} <= {"would write"}


@pytest.mark.parametrize("bad", [0, -1, True, 2.5, "3"])
def test_bad_batch_size_is_a_usage_error(ten: list[Path], bad: object) -> None:
    with pytest.raises(FlowUsageError, match="Invalid batch size"):
        run_step(tag, str(ten[0].parent), add=["x"], batch_size=bad)  # type: ignore[arg-type]


def test_no_logs_is_still_an_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(NoLogsError):
        run_step(tag, str(tmp_path / "empty"), add=["x"], batch_size=5)


def test_cli_batch_size(
    make_logs: LogFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for work in isolated_cli(tmp_path, monkeypatch):
        logs = make_logs(work / "logs", n=5)
        result = flow_cli("step", "tag", "logs", "--add", "y", "--batch-size", "2", "--json")
        assert result.code == 0, result
        assert json.loads(result.stdout)["summary"] == {"written": 5}
        assert all("y" in read_header(p).tags for p in logs)
        for bad in ("0", "x", "-3"):
            result = flow_cli("step", "tag", "logs", "--add", "y", "--batch-size", bad)
            assert result.code == 2, result
            assert len(result.err_lines()) == 1 and "--batch-size" in result.stderr
