"""Nested steps: deferred all-or-nothing writes, StepResult semantics, flush (local and S3)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from helpers.logs import LogFactory, read_header, sample_count
from helpers.s3 import RequestLog, split_s3_uri, upload_dir
from inspect_ai.log import EvalLog, MetadataEdit, TagsEdit

from inspect_flow import step
from inspect_flow.api import StepResult, metadata, run_step, tag


def snapshot(files: list[Path]) -> dict[Path, tuple[bytes, int, int]]:
    return {p: (p.read_bytes(), p.stat().st_mtime_ns, p.stat().st_ino) for p in files}


def dir_names(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


@pytest.fixture
def logs(make_logs: LogFactory, tmp_path: Path) -> list[Path]:
    return make_logs(tmp_path / "logs", n=2) + make_logs(tmp_path / "logs", n=1, fmt="json")


class Boom(RuntimeError):
    pass


@step
def outer(logs: list[EvalLog], *, fail: bool = False) -> list[EvalLog]:
    logs = tag(logs, add=["outer"], author="me")
    if fail:
        raise Boom("midway")
    return metadata(logs, set={"outer": 1}, author="me")


@step
def flush_then_fail(logs: list[EvalLog]) -> list[EvalLog]:
    logs = tag(logs, add=["flushed"], author="me")
    logs = flusher(logs)
    logs = metadata(logs, set={"lost": True}, author="me")
    raise Boom("after flush")


@step
def flusher(logs: list[EvalLog]) -> StepResult:
    return StepResult(logs, flush=True)


@step
def flush_then_edit(logs: list[EvalLog]) -> list[EvalLog]:
    logs = tag(logs, add=["first"], author="me")
    logs = flusher(logs)
    logs = tag(logs, add=["second"], author="me")
    logs = flusher(logs)
    return metadata(logs, set={"third": 3}, author="me")


@step
def not_modified(logs: list[EvalLog]) -> StepResult:
    edited = [log.model_copy(update={"tags": ["sneaky"]}) for log in logs]
    return StepResult(edited, modified=False)


@step
def empty(logs: list[EvalLog]) -> list[EvalLog]:
    return []


@step
def skipper(logs: list[EvalLog]) -> StepResult:
    return StepResult(tag(logs, add=["skipped-but-kept"], author="me"), skip_log_steps=True)


SEEN: dict[str, int] = {}


@step
def compose_skip(logs: list[EvalLog]) -> list[EvalLog]:
    after_skip = skipper(logs)
    SEEN["after_skip"] = len(after_skip)
    SEEN["after_empty"] = len(empty(logs))
    SEEN["rest"] = len(tag(after_skip, add=["never"], author="me"))
    return []  # returning the stale input logs would replace the dirty edited ones


@step
def tag_then_unmodified(logs: list[EvalLog]) -> StepResult:
    return StepResult(tag(logs, add=["inner"], author="me"), modified=False)


def test_composed_step_writes_two_updates_with_one_write_per_log(
    logs: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    replaced: list[str] = []
    real_replace = os.replace

    def counting_replace(src: Any, dst: Any, **kwargs: Any) -> None:
        replaced.append(os.fspath(dst))
        real_replace(src, dst, **kwargs)

    monkeypatch.setattr(os, "replace", counting_replace)
    result = outer([str(p) for p in logs])

    # one swap per log (inspect_ai's own .json writer also replaces, but only our temp file)
    targets = {str(p) for p in logs}
    assert sorted(d for d in replaced if d in targets) == sorted(targets)
    assert all(log.tags == ["outer"] and log.metadata == {"outer": 1} for log in result)
    for path in logs:
        header = read_header(path)
        updates = header.log_updates or []
        assert [type(u.edits[0]) for u in updates] == [TagsEdit, MetadataEdit]
        assert header.tags == ["outer"] and header.metadata == {"outer": 1}
        assert sample_count(path) == 3
    assert dir_names(logs[0].parent) == sorted(p.name for p in logs)  # no temp files left


def test_exception_midway_leaves_every_file_identical(
    logs: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    before = snapshot(logs)

    with pytest.raises(Boom):
        outer([str(p) for p in logs], fail=True)

    assert snapshot(logs) == before
    assert dir_names(logs[0].parent) == sorted(p.name for p in logs)
    err = capsys.readouterr().err
    assert "  outer(logs=3, fail=True)" in err and "    tag(logs=3, add=['outer']" in err


def test_exception_in_run_step_writes_nothing(logs: list[Path]) -> None:
    before = snapshot(logs)
    with pytest.raises(Boom):
        run_step(outer, [str(p.parent) for p in logs[:1]], fail=True)
    assert snapshot(logs) == before


def test_flush_then_exception_keeps_only_the_flushed_edit(logs: list[Path]) -> None:
    with pytest.raises(Boom):
        flush_then_fail([str(p) for p in logs])

    for path in logs:
        header = read_header(path)
        assert header.tags == ["flushed"]
        assert header.metadata == {}
        assert len(header.log_updates or []) == 1


def test_flush_then_later_edit_of_same_log_locally(logs: list[Path]) -> None:
    report = run_step(flush_then_edit, [str(p) for p in logs])

    assert report.ok and {e.status for e in report.logs} == {"written"}
    for path in logs:
        header = read_header(path)
        assert header.tags == ["first", "second"] and header.metadata == {"third": 3}
        assert len(header.log_updates or []) == 3
        assert sample_count(path) == 3


def test_modified_false_empty_and_skip(logs: list[Path]) -> None:
    before = snapshot(logs)

    assert not_modified([str(p) for p in logs])[0].tags == ["sneaky"]
    assert empty([str(p) for p in logs]) == []
    report = run_step(not_modified, [str(p) for p in logs])
    assert [e.status for e in report.logs] == ["unchanged"] * 3
    assert snapshot(logs) == before

    SEEN.clear()
    compose_skip([str(p) for p in logs])
    assert SEEN == {"after_skip": 0, "after_empty": 0, "rest": 0}
    # skip_log_steps is not "unmodified": the skipper's own edit is written
    assert all(read_header(p).tags == ["skipped-but-kept"] for p in logs)


def test_modified_false_still_writes_earlier_dirty_logs(logs: list[Path]) -> None:
    tag_then_unmodified([str(p) for p in logs])
    assert all(read_header(p).tags == ["inner"] for p in logs)


# --------------------------------------------------------------------------------------- S3


@pytest.fixture
def s3_logs(make_logs: LogFactory, tmp_path: Path, s3_bucket: str) -> list[str]:
    make_logs(tmp_path / "up", n=2)
    make_logs(tmp_path / "up", n=1, fmt="json")
    return upload_dir(tmp_path / "up", f"{s3_bucket}/logs")


def test_flush_then_later_edit_of_same_log_on_s3(
    s3_logs: list[str], s3_requests: RequestLog
) -> None:
    s3_requests.clear()
    report = run_step(flush_then_edit, s3_logs)

    assert report.ok, report.to_json()
    assert {e.status for e in report.logs} == {"written"}
    for uri in s3_logs:
        header = read_header(uri)
        assert header.tags == ["first", "second"] and header.metadata == {"third": 3}
        assert len(header.log_updates or []) == 3
        assert sample_count(uri) == 3
    # every write was conditional
    puts = s3_requests.filter("PUT", predicate=lambda r: not r.is_copy)
    assert len(puts) == 3 * len(s3_logs)
    assert all("If-Match" in r.headers and r.status == 200 for r in puts), s3_requests.summary()


def test_composed_step_on_s3_and_exception_midway(
    s3_logs: list[str], s3_client: Any, s3_requests: RequestLog
) -> None:
    def etags() -> list[str]:
        out = []
        for uri in s3_logs:
            bucket, key = split_s3_uri(uri)
            out.append(s3_client.head_object(Bucket=bucket, Key=key)["ETag"])
        return out

    before = etags()
    s3_requests.clear()
    with pytest.raises(Boom):
        outer(s3_logs, fail=True)
    assert etags() == before
    assert s3_requests.count("PUT") == 0 and s3_requests.count("DELETE") == 0

    outer(s3_logs)
    for uri in s3_logs:
        header = read_header(uri)
        assert [type(u.edits[0]) for u in header.log_updates or []] == [TagsEdit, MetadataEdit]
    assert s3_requests.count("PUT") == len(s3_logs)  # one write per log
