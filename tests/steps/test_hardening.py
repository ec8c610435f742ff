"""Attacks on the engine, each reproduced first: writes outside --dest, readable temp files and
copies, headers a buggy step corrupted, copies made from a stale version."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest
from helpers.cli import flow_cli
from helpers.logs import LogFactory, read_header
from inspect_ai.log import EvalLog

from inspect_flow import step
from inspect_flow._steps.copy_step import destination
from inspect_flow.api import CommitError, FlowUsageError, copy, run_step, tag


def snapshot(files: list[Path]) -> dict[Path, tuple[bytes, int]]:
    return {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in files}


def tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


# ------------------------------------------------------------- 9. nothing outside --dest


def test_a_suffix_with_dot_dot_writes_nothing_outside_dest(
    make_logs: LogFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_logs(tmp_path / "logs", n=2)
    monkeypatch.chdir(tmp_path)
    before = tree(tmp_path)

    result = flow_cli("step", "copy", "logs", "--dest", "prod/x", "--suffix", "/../../../evil")

    assert result.code == 2, result
    assert result.err_lines()[-1].startswith("✗") and "plain name" in result.err_lines()[-1]
    assert tree(tmp_path) == before


def test_a_rename_that_climbs_out_is_refused(make_logs: LogFactory, tmp_path: Path) -> None:
    make_logs(tmp_path / "logs", n=1)
    before = tree(tmp_path)
    with pytest.raises(FlowUsageError, match="plain name"):
        copy(str(tmp_path / "logs"), dest=str(tmp_path / "prod"), rename=lambda n: f"../{n}")
    assert tree(tmp_path) == before


@pytest.mark.parametrize(
    "key",
    ["logs/../../outside.eval", "logs/sub/../../../evil.eval", "logs/./x.eval", "logs/a/x.eval"],
)
def test_s3_keys_with_dot_dot_segments_stay_inside_dest(key: str) -> None:
    source = f"s3://bucket/{key}"
    if "." in key.split("/") or ".." in key.split("/"):
        with pytest.raises(FlowUsageError, match="outside the destination"):
            destination(source, "s3://prod/logs", "s3://bucket/logs", None, None)
    else:
        target = destination(source, "s3://prod/logs", "s3://bucket/logs", None, None)
        assert target.startswith("s3://prod/logs/")


def test_s3_source_keys_with_dot_dot_write_nothing(
    make_logs: LogFactory, tmp_path: Path, s3_bucket: str, s3_client: Any
) -> None:
    (log,) = make_logs(tmp_path / "up", n=1)
    bucket = s3_bucket.removeprefix("s3://")
    s3_client.put_object(Bucket=bucket, Key=f"logs/sub/../../../{log.name}", Body=log.read_bytes())
    dest = tmp_path / "prod" / "logs"
    before = tree(tmp_path)

    with pytest.raises(FlowUsageError, match="outside the destination"):
        copy(f"{s3_bucket}/logs", dest=str(dest), source_prefix=f"{s3_bucket}/logs")

    assert tree(tmp_path) == before


# ------------------------------------------------- 10. temp files and copies are never wider


def test_copies_keep_the_source_mode_and_temp_files_start_private(
    make_logs: LogFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from inspect_flow._logs.local import files

    sources = make_logs(tmp_path / "logs", n=2)
    for path in sources:
        path.chmod(0o600)
    seen: list[int] = []
    real_clone, real_copy = files._clone, files._copy_open

    def clone(fsrc: Any, fdst: Any) -> bool:
        seen.append(stat.S_IMODE(os.fstat(fdst.fileno()).st_mode))  # before any byte is in
        return real_clone(fsrc, fdst)

    def copy_open(fsrc: Any, fdst: Any) -> None:
        seen.append(stat.S_IMODE(os.fstat(fdst.fileno()).st_mode))
        real_copy(fsrc, fdst)

    monkeypatch.setattr(files, "_clone", clone)
    monkeypatch.setattr(files, "_copy_open", copy_open)

    run_step(tag, str(tmp_path / "logs"), add=["x"], author="me")  # header edits
    run_step(copy, str(tmp_path / "logs"), dest=str(tmp_path / "prod"))

    assert seen and set(seen) == {0o600}
    for path in sources:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE((tmp_path / "prod" / path.name).stat().st_mode) == 0o600


# ------------------------------------------------------ 5. a buggy step cannot corrupt logs


@step
def tags_as_a_string(logs: list[EvalLog]) -> list[EvalLog]:
    edited = [log.model_copy(deep=True) for log in logs]
    for log in edited:
        log.tags = "notalist"  # type: ignore[assignment]
    return edited


@step
def swap_identities(logs: list[EvalLog]) -> list[EvalLog]:
    first, second = sorted(logs, key=lambda log: log.location)[:2]
    impostor = first.model_copy(deep=True, update={"location": second.location})
    impostor.tags = ["impostor"]
    return [impostor]


@pytest.mark.parametrize("fmt", ["eval", "json"])
def test_an_invalid_header_is_refused_and_nothing_is_written(
    make_logs: LogFactory, tmp_path: Path, fmt: Any
) -> None:
    logs = make_logs(tmp_path / "logs", n=2, fmt=fmt)
    before = snapshot(logs)

    with pytest.raises(CommitError, match="invalid header") as info:
        run_step(tags_as_a_string, str(tmp_path / "logs"))

    assert snapshot(logs) == before
    assert {e.status for e in info.value.report.logs} == {"failed"}
    assert all(read_header(p).tags == [] for p in logs)


def test_a_header_of_another_eval_is_refused(make_logs: LogFactory, tmp_path: Path) -> None:
    logs = make_logs(tmp_path / "logs", n=1) + make_logs(tmp_path / "logs", n=1, status="error")
    assert read_header(logs[0]).eval.eval_id != read_header(logs[1]).eval.eval_id
    before = snapshot(logs)

    with pytest.raises(CommitError, match="another eval"):
        run_step(swap_identities, str(tmp_path / "logs"))

    assert snapshot(logs) == before


# ------------------------------------------------ 3. a copy is made from the version read


CHANGE: list[Path] = []


@step
def read_wait_copy_tag(logs: list[EvalLog], *, dest: str) -> list[EvalLog]:
    for path in CHANGE:  # another process removes a tag after our read
        run_step(tag, str(path), remove=["keep"], author="other")
    return tag(copy(logs, dest=dest), add=["promoted"], author="me")


def test_a_copy_of_a_log_changed_since_read_is_a_conflict(
    make_logs: LogFactory, tmp_path: Path
) -> None:
    logs = make_logs(tmp_path / "logs", n=2)
    run_step(tag, [str(p) for p in logs], add=["keep"], author="me")
    dest = tmp_path / "prod"
    CHANGE[:] = [logs[0]]  # run_step inside the step is a run of its own, committed at once
    try:
        with pytest.raises(CommitError) as info:
            run_step(read_wait_copy_tag, str(tmp_path / "logs"), dest=str(dest))
    finally:
        CHANGE.clear()

    assert not dest.exists()  # no stale copy
    statuses = {e.location: e.status for e in info.value.report.logs}
    assert statuses["file://" + str(dest / logs[0].name)] == "conflict"
    assert read_header(logs[0]).tags == []  # the other writer's change stands
