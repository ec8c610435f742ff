"""Header edits and copies are one transaction: all or nothing at the outermost step exit.

* tag -> copy -> raise writes nothing anywhere (local and S3): sources byte-identical, no
  destination, no temp file, no upload left;
* the user docs' ``promote`` step (filter, tag, then copy) commits edits and copies as one: a copy
  that cannot be made keeps the tags from being written too;
* edits to a planned copy land in the same commit (the destination is written once);
* ``flush=True`` commits the pending copies with the edits;
* a destination that appeared since the copy was planned is a conflict, and nothing is written;
* the run's report lists the locations written (the store's hook).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from helpers.logs import LogFactory, read_header, read_log
from helpers.s3 import RequestLog, list_keys, split_s3_uri, upload_dir
from inspect_ai.log import EvalLog

from inspect_flow import log_filter, step
from inspect_flow.api import CommitError, StepResult, copy, run_step, tag


def snapshot(files: list[Path]) -> dict[Path, tuple[bytes, int]]:
    return {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in files}


def uri(path: Path) -> str:
    return "file://" + str(path)


class Boom(Exception):
    pass


@step
def tag_copy_raise(logs: list[EvalLog], *, dest: str) -> list[EvalLog]:
    tagged = tag(logs, add=["promoted"], author="me")
    copy(tagged, dest=dest)
    raise Boom("after the copy")


@log_filter
def txn_reviewed(log: EvalLog) -> bool:
    return "review_done" in log.tags and "review_needed" not in log.tags


PROMOTE_DEST: list[str] = []


@step
def promote(logs: list[EvalLog]) -> list[EvalLog]:
    """Promote reviewed logs to production (the user docs' example step)."""
    logs = [log for log in logs if txn_reviewed(log)]
    logs = tag(logs, add=["promoted"], reason="Passed review", author="me")
    return copy(logs, dest=PROMOTE_DEST[0])


@pytest.fixture
def logs(make_logs: LogFactory, tmp_path: Path) -> list[Path]:
    return make_logs(tmp_path / "logs", n=2) + make_logs(tmp_path / "logs", n=1, fmt="json")


# ------------------------------------------------------------------------------- a raise


def test_tag_copy_raise_writes_nothing_locally(logs: list[Path], tmp_path: Path) -> None:
    before = snapshot(logs)
    dest = tmp_path / "prod" / "logs"

    with pytest.raises(Boom):
        run_step(tag_copy_raise, str(tmp_path / "logs"), dest=str(dest))

    assert snapshot(logs) == before
    assert not (tmp_path / "prod").exists()
    assert sorted(os.listdir(tmp_path / "logs")) == sorted(p.name for p in logs)  # no temp file


@pytest.mark.parametrize("source", ["local", "s3"])
def test_tag_copy_raise_writes_nothing_on_s3(
    logs: list[Path],
    tmp_path: Path,
    s3_bucket: str,
    s3_client: Any,
    s3_requests: RequestLog,
    source: str,
) -> None:
    if source == "s3":
        sources = upload_dir(tmp_path / "logs", f"{s3_bucket}/dev")
        inputs: list[str] = sources
    else:
        inputs = [str(p) for p in logs]
    before_local = snapshot(logs)
    before_keys = list_keys(s3_client, s3_bucket)
    bucket = split_s3_uri(s3_bucket)[0]
    s3_requests.clear()

    with pytest.raises(Boom):
        run_step(tag_copy_raise, inputs, dest=f"{s3_bucket}/prod")

    assert snapshot(logs) == before_local
    assert list_keys(s3_client, s3_bucket) == before_keys  # no copy, sources as they were
    writes = s3_requests.filter(predicate=lambda r: r.method in ("PUT", "POST", "DELETE"))
    assert writes == [], s3_requests.summary()  # nothing was even staged
    assert s3_client.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


# --------------------------------------------------------------------------- the docs' promote


def _mark_reviewed(paths: list[Path]) -> None:
    run_step(tag, [str(p) for p in paths], add=["review_done"], author="me")


def test_promote_commits_tags_and_copies_as_one(logs: list[Path], tmp_path: Path) -> None:
    _mark_reviewed(logs[:2])
    dest = tmp_path / "prod"
    PROMOTE_DEST[:] = [str(dest)]

    report = run_step(promote, str(tmp_path / "logs"))

    for path in logs[:2]:
        assert sorted(read_header(path).tags) == ["promoted", "review_done"]
        copied = dest / path.name
        assert copied.read_bytes() == path.read_bytes()  # the promoted version, written once
        assert read_log(copied).samples
    assert read_header(logs[2]).tags == []
    assert sorted(os.listdir(dest)) == sorted(p.name for p in logs[:2])
    statuses = {e.location: e.status for e in report.logs}
    assert statuses == {
        **{uri(p): "written" for p in logs[:2]},
        **{uri(dest / p.name): "copied" for p in logs[:2]},
        uri(logs[2]): "unchanged",
    }
    assert sorted(report.written_locations()) == sorted(
        [uri(p) for p in logs[:2]] + [uri(dest / p.name) for p in logs[:2]]
    )


def test_promote_whose_copy_cannot_be_made_writes_no_tag(
    logs: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from inspect_flow._logs.local import files

    _mark_reviewed(logs[:2])
    before = snapshot(logs)
    dest = tmp_path / "prod"
    real_copy = files.clone_or_copy

    def full_disk(source: str, target: str) -> None:
        if os.path.dirname(target) == str(dest):
            raise OSError(28, "No space left on device (injected)")
        real_copy(source, target)

    monkeypatch.setattr(files, "clone_or_copy", full_disk)
    PROMOTE_DEST[:] = [str(dest)]

    with pytest.raises(CommitError) as info:
        run_step(promote, str(tmp_path / "logs"))

    assert snapshot(logs) == before  # the tags were not written either
    assert not dest.exists()
    statuses = {e.location: e.status for e in info.value.report.logs}
    assert "failed" in {statuses[uri(dest / p.name)] for p in logs[:2]}
    assert {statuses[uri(p)] for p in logs[:2]} == {"not written"}


def test_promote_on_s3_commits_as_one(
    logs: list[Path], tmp_path: Path, s3_bucket: str, s3_client: Any
) -> None:
    _mark_reviewed(logs[:2])
    sources = upload_dir(tmp_path / "logs", f"{s3_bucket}/dev")
    PROMOTE_DEST[:] = [f"{s3_bucket}/prod/logs"]

    report = run_step(promote, f"{s3_bucket}/dev")

    promoted = [u for u in sources if "promoted" in read_header(u).tags]
    assert len(promoted) == 2
    for source in promoted:
        assert sorted(read_header(source).tags) == ["promoted", "review_done"]
        name = source.rsplit("/", 1)[1]
        copied = read_header(f"{s3_bucket}/prod/logs/{name}")
        assert sorted(copied.tags) == ["promoted", "review_done"]
    assert len(report.written_locations()) == 4
    bucket = split_s3_uri(s3_bucket)[0]
    assert s3_client.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


# ------------------------------------------------------------------- edits of planned copies


@step
def copy_then_tag_copies(logs: list[EvalLog], *, dest: str) -> list[EvalLog]:
    copies = copy(logs, dest=dest)
    return tag(copies, add=["in-prod"], author="me")


def test_edits_of_a_planned_copy_are_part_of_its_commit(
    logs: list[Path], tmp_path: Path, s3_bucket: str, s3_requests: RequestLog
) -> None:
    before = snapshot(logs)

    report = run_step(copy_then_tag_copies, str(tmp_path / "logs"), dest=f"{s3_bucket}/prod")

    assert snapshot(logs) == before
    for path in logs:
        location = f"{s3_bucket}/prod/{path.name}"
        assert read_header(location).tags == ["in-prod"]
        key = split_s3_uri(location)[1]
        puts = s3_requests.filter("PUT", key=key)
        assert len(puts) == 1  # written once, with its header, onto an absent destination
        assert puts[0].headers.get("If-None-Match") == "*"
        assert not s3_requests.filter("POST", key=key)  # no multipart upload
    assert {e.status for e in report.logs} == {"written"}


@step
def copy_flush_then_raise(logs: list[EvalLog], *, dest: str) -> StepResult:
    copies = copy(logs, dest=dest)
    tag(copies, add=["flushed"], author="me")
    flushed = StepResult(copies, modified=False, flush=True)
    return flushed


@step
def outer_flush_then_raise(logs: list[EvalLog], *, dest: str) -> list[EvalLog]:
    copy_flush_then_raise(logs, dest=dest)
    tag(logs, add=["never"], author="me")
    raise Boom("after the flush")


def test_flush_commits_pending_copies_with_the_edits(logs: list[Path], tmp_path: Path) -> None:
    before = snapshot(logs)
    dest = tmp_path / "prod"

    with pytest.raises(Boom):
        run_step(outer_flush_then_raise, str(tmp_path / "logs"), dest=str(dest))

    assert snapshot(logs) == before  # the edit after the flush was not written
    assert sorted(os.listdir(dest)) == sorted(p.name for p in logs)
    assert all(read_header(dest / p.name).tags == ["flushed"] for p in logs)


# --------------------------------------------------------------------- conflicts at the commit


APPEAR: list[Path] = []


@step
def copy_then_someone_writes(logs: list[EvalLog], *, dest: str) -> list[EvalLog]:
    tagged = tag(logs, add=["x"], author="me")
    copies = copy(tagged, dest=dest)
    for path in APPEAR:  # another process creates a destination meanwhile
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"theirs")
    return copies


def test_a_destination_that_appeared_since_planned_is_a_conflict(
    logs: list[Path], tmp_path: Path
) -> None:
    before = snapshot(logs)
    dest = tmp_path / "prod"
    APPEAR[:] = [dest / logs[0].name]
    try:
        with pytest.raises(CommitError) as info:
            run_step(copy_then_someone_writes, str(tmp_path / "logs"), dest=str(dest))
    finally:
        APPEAR.clear()

    assert snapshot(logs) == before
    assert os.listdir(dest) == [logs[0].name]
    assert (dest / logs[0].name).read_bytes() == b"theirs"
    statuses = {e.location: e.status for e in info.value.report.logs}
    assert statuses[uri(dest / logs[0].name)] == "conflict"
    assert statuses[uri(logs[1])] == "not written"


@step
def copy_given_headers_then_tag(logs: list[EvalLog], *, dest: str) -> list[EvalLog]:
    return tag(copy(logs, dest=dest), add=["in-prod"], author="me")


def test_edits_of_copies_of_logs_the_run_never_read_are_written(
    logs: list[Path], tmp_path: Path
) -> None:
    headers = [read_header(p) for p in logs]  # read outside the run: its session never saw them
    for header, path in zip(headers, logs, strict=True):
        header.location = uri(path)
    dest = tmp_path / "prod"

    copy_given_headers_then_tag(headers, dest=str(dest))

    assert all(read_header(dest / p.name).tags == ["in-prod"] for p in logs)
    assert all(read_header(p).tags == [] for p in logs)


# ------------------------------------------------------------------- Ctrl+C during the commit


@pytest.mark.parametrize("after", [1, 3, 5])
def test_ctrl_c_during_the_commit_rolls_the_batch_back(
    logs: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, after: int
) -> None:
    # tag (3 swaps) then copy (3 links): interrupted after the first swap, the last swap, or
    # two copies
    real_replace, real_link = os.replace, os.link
    visible = [0]

    def counted(real: Any) -> Any:
        def wrapper(src: Any, dst: Any, *args: Any, **kwargs: Any) -> None:
            if not os.path.basename(os.fspath(dst)).startswith(".") and visible[0] >= 0:
                visible[0] += 1
                if visible[0] > after:
                    visible[0] = -1  # once: the rollback's own renames go through
                    raise KeyboardInterrupt
            real(src, dst, *args, **kwargs)

        return wrapper

    before = snapshot(logs)
    dest = tmp_path / "prod"
    monkeypatch.setattr(os, "replace", counted(real_replace))
    monkeypatch.setattr(os, "link", counted(real_link))
    with pytest.raises(KeyboardInterrupt):
        run_step(tag_then_copy_all, str(tmp_path / "logs"), dest=str(dest))
    monkeypatch.undo()

    assert {p: b for p, (b, _) in snapshot(logs).items()} == {p: b for p, (b, _) in before.items()}
    assert sorted(os.listdir(tmp_path / "logs")) == sorted(p.name for p in logs)  # no .flowbak
    assert not dest.exists() or os.listdir(dest) == []


@step
def tag_then_copy_all(logs: list[EvalLog], *, dest: str) -> list[EvalLog]:
    return copy(tag(logs, add=["promoted"], author="me"), dest=dest)
