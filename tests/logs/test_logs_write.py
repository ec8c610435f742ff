"""Header writes: optimistic concurrency, all-or-nothing commits with rollback, unreadable logs,
samples preserved (local and S3)."""

from __future__ import annotations

import contextvars
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from helpers.logs import LogFactory, read_header, read_log, sample_count
from helpers.s3 import RequestLog, split_s3_uri, upload_dir, upload_file
from inspect_ai.log import EvalLog, ProvenanceData, TagsEdit, edit_eval_log, write_eval_log

from inspect_flow import step
from inspect_flow.api import CommitError, run_step, tag


def snapshot(files: list[Path]) -> dict[Path, tuple[bytes, int, int]]:
    return {p: (p.read_bytes(), p.stat().st_mtime_ns, p.stat().st_ino) for p in files}


def dir_names(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def uri(path: Path) -> str:
    return "file://" + str(path)


def inspect_tag(location: str, tag_name: str) -> None:
    """Another writer: inspect_ai's own header edit, written in place."""
    header = read_header(location)
    edited = edit_eval_log(
        header, [TagsEdit(tags_add=[tag_name], tags_remove=[])], ProvenanceData(author="other")
    )
    write_eval_log(edited, location, header_only=True)


def flow_tag_elsewhere(location: str, tag_name: str) -> None:
    """Another writer in this process: a flow ``tag`` call in an unrelated step context."""
    contextvars.Context().run(lambda: tag(location, add=[tag_name], author="other"))


MEDDLE: list[Callable[[], None]] = []


@step
def edit_then_meddle(logs: list[EvalLog]) -> list[EvalLog]:
    edited = tag(logs, add=["ours"], author="me")  # deferred
    for meddle in MEDDLE:
        meddle()  # someone else changes a log between our read and our write
    return edited


@pytest.fixture
def logs(make_logs: LogFactory, tmp_path: Path) -> list[Path]:
    return make_logs(tmp_path / "logs", n=2) + make_logs(tmp_path / "logs", n=2, fmt="json")


def _run_with_meddling(paths: list[str], *meddles: Callable[[], None]) -> CommitError:
    MEDDLE[:] = meddles
    try:
        with pytest.raises(CommitError) as info:
            run_step(edit_then_meddle, paths)
    finally:
        MEDDLE.clear()
    return info.value


@pytest.mark.parametrize("victim", [0, 3])
@pytest.mark.parametrize("writer", [inspect_tag, flow_tag_elsewhere])
def test_local_concurrent_modification_is_a_conflict_and_nothing_is_written(
    logs: list[Path], victim: int, writer: Callable[[str, str], None]
) -> None:
    target = logs[victim]
    others = [p for p in logs if p != target]
    before = snapshot(others)

    error = _run_with_meddling([str(p) for p in logs], lambda: writer(str(target), "theirs"))

    assert snapshot(others) == before  # all-or-nothing
    header = read_header(target)
    assert header.tags == ["theirs"]  # the other writer's change is preserved, ours not applied
    assert sample_count(target) == 3
    statuses = {e.location: e.status for e in error.report.logs}
    assert statuses[uri(target)] == "conflict"
    assert all(statuses[uri(p)] == "not written" for p in others)
    assert not error.report.ok
    assert "changed since it was read" in str(error)
    assert dir_names(target.parent) == sorted(p.name for p in logs)


def test_local_log_deleted_before_write_is_a_conflict_never_recreated(logs: list[Path]) -> None:
    target = logs[1]
    others = [p for p in logs if p != target]
    before = snapshot(others)

    error = _run_with_meddling([str(p) for p in logs], target.unlink)

    assert not target.exists()
    assert snapshot(others) == before
    statuses = {e.location: e.status for e in error.report.logs}
    assert statuses[uri(target)] == "conflict"
    assert "no longer exists" in str(error)
    assert dir_names(target.parent) == sorted(p.name for p in others)


def test_local_log_replaced_by_identical_copy_is_a_conflict(
    logs: list[Path], tmp_path: Path
) -> None:
    # same bytes, same size, new inode/mtime: still someone else's write
    target = logs[0]
    data = target.read_bytes()

    def rewrite() -> None:
        spare = tmp_path / "spare"
        spare.write_bytes(data)
        os.replace(spare, target)

    _run_with_meddling([str(p) for p in logs], rewrite)
    assert target.read_bytes() == data


def test_failed_commit_rolls_back_earlier_logs(
    logs: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    targets = {str(p) for p in logs}
    before = snapshot(logs)
    real_replace = os.replace
    swaps: list[str] = []

    def failing_replace(src: Any, dst: Any, **kwargs: Any) -> None:
        if os.fspath(dst) in targets and not os.path.basename(os.fspath(src)).endswith(".flowbak"):
            swaps.append(os.fspath(dst))
            if len(swaps) == 2:
                raise OSError(28, "No space left on device (injected)")
        real_replace(src, dst, **kwargs)

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(CommitError) as info:
        run_step(tag, [str(p) for p in logs], add=["x"], author="me")
    monkeypatch.undo()

    assert len(swaps) == 2  # the first log was committed, the second failed
    assert snapshot(logs) == before  # the first one was put back, bytes, mtime and inode
    statuses = sorted(e.status for e in info.value.report.logs)
    assert statuses == ["failed", "not written", "not written", "not written"]
    assert "No space left" in str(info.value)
    assert dir_names(logs[0].parent) == sorted(p.name for p in logs)  # no temp/backup left


def test_rollback_that_fails_is_reported_and_leaves_the_log_whole(
    logs: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    targets = {str(p) for p in logs}
    real_replace = os.replace
    swaps: list[str] = []

    def failing_replace(src: Any, dst: Any, **kwargs: Any) -> None:
        if os.fspath(dst) in targets:
            swaps.append(os.fspath(dst))
            # the 2nd swap fails (commit), and so does the 3rd: putting the 1st log back
            if len(swaps) in (2, 3):
                raise OSError(5, "I/O error (injected)")
        real_replace(src, dst, **kwargs)

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(CommitError) as info:
        run_step(tag, [str(p) for p in logs], add=["x"], author="me")
    monkeypatch.undo()

    first = swaps[0]
    entries = {e.location: e for e in info.value.report.logs}
    stuck = entries["file://" + first]
    assert stuck.status == "failed"
    assert "could not be put back" in stuck.detail
    assert read_header(first).tags == ["x"]  # left fully new, readable, not broken
    assert sample_count(first) > 0
    for other in logs:
        if str(other) != first:
            assert read_header(other).tags == []


# ---------------------------------------------------------------------------------- S3


@pytest.fixture
def s3_logs(make_logs: LogFactory, tmp_path: Path, s3_bucket: str) -> list[str]:
    make_logs(tmp_path / "up", n=2)
    make_logs(tmp_path / "up", n=2, fmt="json")
    return upload_dir(tmp_path / "up", f"{s3_bucket}/logs")


def _objects(client: Any, uris: list[str]) -> dict[str, tuple[bytes, str]]:
    out = {}
    for u in uris:
        bucket, key = split_s3_uri(u)
        obj = client.get_object(Bucket=bucket, Key=key)
        out[u] = (obj["Body"].read(), obj["ETag"])
    return out


@pytest.mark.parametrize("victim", [0, 3])
def test_s3_concurrent_modification_is_a_conflict_and_nothing_is_written(
    s3_logs: list[str], s3_client: Any, tmp_path: Path, victim: int, s3_requests: RequestLog
) -> None:
    target = s3_logs[victim]
    others = [u for u in s3_logs if u != target]
    before = _objects(s3_client, others)
    # the other writer's version: the same log with their tag, uploaded with boto3
    theirs = tmp_path / ("theirs" + os.path.splitext(target)[1])
    bucket, key = split_s3_uri(target)
    theirs.write_bytes(s3_client.get_object(Bucket=bucket, Key=key)["Body"].read())
    inspect_tag(str(theirs), "theirs")

    def meddle() -> None:
        s3_client.put_object(Bucket=bucket, Key=key, Body=theirs.read_bytes())

    s3_requests.clear()
    error = _run_with_meddling(s3_logs, meddle)

    assert _objects(s3_client, others) == before  # rolled back or never written
    ok_puts = {
        u: s3_requests.count("PUT", key=split_s3_uri(u)[1], predicate=lambda r: r.status == 200)
        for u in others
    }
    # S3 commits run concurrently: each other log was either never written (0 PUTs) or written and
    # put back (2 PUTs); never left written (1 PUT). Its bytes are checked above.
    assert set(ok_puts.values()) <= {0, 2}, s3_requests.summary()
    assert s3_client.get_object(Bucket=bucket, Key=key)["Body"].read() == theirs.read_bytes()
    assert read_header(target).tags == ["theirs"]
    statuses = {e.location: e.status for e in error.report.logs}
    assert statuses[target] == "conflict", error.report.logs
    assert all(statuses[u] == "not written" for u in others)


def test_s3_log_deleted_before_write_is_never_recreated(s3_logs: list[str], s3_client: Any) -> None:
    target = s3_logs[2]
    others = [u for u in s3_logs if u != target]
    before = _objects(s3_client, others)
    bucket, key = split_s3_uri(target)

    error = _run_with_meddling(s3_logs, lambda: s3_client.delete_object(Bucket=bucket, Key=key))

    assert "Contents" not in s3_client.list_objects_v2(Bucket=bucket, Prefix=key)
    assert _objects(s3_client, others) == before
    statuses = {e.location: e.status for e in error.report.logs}
    assert statuses[target] == "conflict"


SESSIONS: list[Any] = []


@step
def tag_and_keep_session(logs: list[EvalLog]) -> list[EvalLog]:
    from inspect_flow._steps.context import current

    ctx = current()
    assert ctx is not None
    SESSIONS.append(ctx.session)
    return tag(logs, add=["x"], author="me")


def _kept(session: Any) -> list[str]:
    return sorted(session._bodies)


def test_s3_bodies_are_kept_only_during_a_run(s3_logs: list[str], s3_requests: RequestLog) -> None:
    from inspect_flow._logs import Session, read_headers

    with Session() as session:  # outside any step run (as flow check reads)
        result = read_headers(s3_logs, session=session)
        assert len(result.logs) == len(s3_logs) and _kept(session) == []
    assert len(read_headers(s3_logs).logs) == len(s3_logs)  # a short-lived session of its own

    s3_requests.clear()
    SESSIONS.clear()
    report = run_step(tag_and_keep_session, s3_logs[:2])  # two of them
    assert [e.status for e in report.logs] == ["written", "written"]
    # each written log cost one GET (the header read, whole object) and one conditional PUT
    for location in s3_logs[:2]:
        key = split_s3_uri(location)[1]
        assert s3_requests.count("GET", key=key) == 1, s3_requests.summary()
        assert s3_requests.count("PUT", key=key) == 1
    assert _kept(SESSIONS[0]) == [] and SESSIONS[0]._body_bytes == 0  # dropped with the run

    report = run_step(tag_and_keep_session, s3_logs)  # two unchanged: bodies unused
    assert sorted(e.status for e in report.logs) == ["unchanged"] * 2 + ["written"] * 2
    assert _kept(SESSIONS[1]) == [] and SESSIONS[1]._body_bytes == 0


# ------------------------------------------------------------------------ unreadable logs


@pytest.mark.parametrize("fmt", ["eval", "json"])
def test_corrupt_and_truncated_logs_among_good_ones(
    make_logs: LogFactory, tmp_path: Path, fmt: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "logs"
    good = make_logs(root, n=2, fmt=fmt)
    bad = [make_logs.corrupt(root, fmt=fmt), make_logs.truncated(root, fmt=fmt)]
    before = snapshot(bad)

    report = run_step(tag, str(root), add=["ok"], author="me")

    statuses = {e.location: e.status for e in report.logs}
    assert statuses == {**{uri(p): "written" for p in good}, **{uri(p): "unreadable" for p in bad}}
    assert all(e.detail for e in report.logs if e.status == "unreadable")
    assert not report.ok
    assert report.summary() == "tag: 2 written, 2 unreadable"
    assert snapshot(bad) == before
    assert all(read_header(p).tags == ["ok"] for p in good)
    assert capsys.readouterr().err.count("Could not read log") == 2


def test_corrupt_and_truncated_logs_among_good_ones_on_s3(
    make_logs: LogFactory, tmp_path: Path, s3_bucket: str, s3_client: Any
) -> None:
    root = tmp_path / "up"
    good = make_logs(root, n=1) + make_logs(root, n=1, fmt="json")
    bad = [
        make_logs.corrupt(root),
        make_logs.truncated(root),
        make_logs.truncated(root, fmt="json"),
    ]
    uploaded = upload_dir(root, f"{s3_bucket}/logs")
    bad_uris = {f"{s3_bucket}/logs/{p.name}" for p in bad}
    before = _objects(s3_client, sorted(bad_uris))

    report = run_step(tag, f"{s3_bucket}/logs", add=["ok"], author="me")

    statuses = {e.location: e.status for e in report.logs}
    assert statuses == {u: "unreadable" if u in bad_uris else "written" for u in uploaded}
    assert _objects(s3_client, sorted(bad_uris)) == before
    assert all(read_header(f"{s3_bucket}/logs/{p.name}").tags == ["ok"] for p in good)


# ----------------------------------------------------------------------- samples preserved


def _samples(location: str) -> list[str]:
    return [s.model_dump_json() for s in read_log(location).samples or []]


@pytest.mark.parametrize("fmt", ["eval", "json"])
def test_samples_preserved_local(make_logs: LogFactory, tmp_path: Path, fmt: Any) -> None:
    (path,) = make_logs(tmp_path, n=1, fmt=fmt, samples=4)
    (errored,) = make_logs(tmp_path, n=1, fmt=fmt, status="error")
    before = {p: _samples(str(p)) for p in (path, errored)}

    tag([str(path), str(errored)], add=["a"], author="me")
    tag([str(path), str(errored)], add=["b"], author="me")

    for p in (path, errored):
        assert _samples(str(p)) == before[p]
        full = read_log(p)
        assert full.tags == ["a", "b"]
    assert sample_count(path) == 4
    assert read_header(errored).status == "error"


@pytest.mark.parametrize("fmt", ["eval", "json"])
@pytest.mark.parametrize("status", ["error", "cancelled", "started"])
def test_unfinished_and_failed_logs_keep_status_and_samples(
    make_logs: LogFactory, tmp_path: Path, fmt: Any, status: Any
) -> None:
    (path,) = make_logs(tmp_path, n=1, fmt=fmt, status=status)
    before = _samples(str(path))
    header_before = read_header(path)

    report = run_step(tag, str(path), add=["triaged"], author="me")

    assert [e.status for e in report.logs] == ["written"]
    after = read_header(path)
    assert after.status == status and after.tags == ["triaged"]
    assert after.results == header_before.results
    assert _samples(str(path)) == before


@pytest.mark.parametrize("fmt", ["eval", "json"])
def test_samples_preserved_s3(
    make_logs: LogFactory, tmp_path: Path, s3_bucket: str, fmt: Any, s3_requests: RequestLog
) -> None:
    (path,) = make_logs(tmp_path, n=1, fmt=fmt, samples=4)
    target = upload_file(path, f"{s3_bucket}/logs/")
    before = _samples(target)

    s3_requests.clear()
    report = run_step(tag, target, add=["a"], author="me")
    assert [e.status for e in report.logs] == ["written"]
    assert s3_requests.count(key=split_s3_uri(target)[1]) <= 3, s3_requests.summary()
    tag(target, add=["b"], author="me")

    assert _samples(target) == before
    assert read_header(target).tags == ["a", "b"]


def test_samples_preserved_big_s3_log(
    make_logs: LogFactory, tmp_path: Path, s3_bucket: str
) -> None:
    (path,) = make_logs(tmp_path, n=1, big=True)
    target = upload_file(path, f"{s3_bucket}/logs/")
    before = _samples(target)

    tag(target, add=["big"], author="me")

    assert _samples(target) == before
    assert read_header(target).tags == ["big"]


# ---------------------------------------------------------------------------- file attributes


@pytest.mark.parametrize("fmt", ["eval", "json"])
@pytest.mark.parametrize("mode", [0o644, 0o600, 0o664])
def test_header_write_keeps_the_file_mode(
    make_logs: LogFactory, tmp_path: Path, fmt: Any, mode: int
) -> None:
    (path,) = make_logs(tmp_path, n=1, fmt=fmt)
    path.chmod(mode)

    tag(str(path), add=["x"], author="me")

    assert read_header(path).tags == ["x"]
    assert path.stat().st_mode & 0o7777 == mode


def test_s3_old_version_not_put_back_is_kept_on_disk(
    s3_logs: list[str],
    s3_client: Any,
    s3_requests: RequestLog,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A small S3 edit is staged in memory; if it cannot be put back, its old bytes are saved."""
    import tempfile

    from inspect_flow._logs.s3 import client

    monkeypatch.setattr(client, "S3_CONCURRENCY", 1)  # commits in turn: the first is done first
    targets = s3_logs[:2]
    originals = {loc: _objects(s3_client, [loc])[loc][0] for loc in targets}
    committed: list[str] = []

    def before(environ: dict[str, Any]) -> None:
        if environ["REQUEST_METHOD"] != "PUT" or not environ.get("HTTP_IF_MATCH"):
            return
        key = environ["PATH_INFO"].split("/", 2)[2]
        if committed:  # the second commit: someone rewrites both logs just before it lands
            for location in targets:
                bucket, other = split_s3_uri(location)
                s3_client.put_object(Bucket=bucket, Key=other, Body=b"theirs")
        committed.append(key)

    s3_requests.before = before
    with pytest.raises(CommitError) as info:
        run_step(tag, targets, add=["x"], author="me")
    s3_requests.before = None

    first = next(loc for loc in targets if split_s3_uri(loc)[1] == committed[0])
    statuses = {e.location: e.status for e in info.value.report.logs}
    assert statuses[first] == "failed"  # written, and could not be put back
    err = capsys.readouterr().err
    assert f"The previous version of {first} is kept in " in err, err
    kept = err.split(f"The previous version of {first} is kept in ", 1)[1].split()[0]
    assert kept.startswith(tempfile.gettempdir())
    assert Path(kept).read_bytes() == originals[first]
