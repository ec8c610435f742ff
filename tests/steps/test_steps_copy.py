"""The ``copy`` step: naming, safety (never onto the source, skipped destinations untouched, copies
never rewritten), pending edits first, and local/S3 in every direction."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import pytest
from helpers.logs import LogFactory, read_header, sample_count
from helpers.s3 import RequestLog, list_keys, split_s3_uri, upload_dir
from inspect_ai.log import EvalLog

from inspect_flow import step
from inspect_flow.api import FlowUsageError, copy, run_step, tag


def snapshot(files: list[Path]) -> dict[Path, tuple[bytes, int]]:
    return {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in files}


def files_under(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def uri(path: Path) -> str:
    return "file://" + str(path)


@pytest.fixture
def src(make_logs: LogFactory, tmp_path: Path) -> dict[str, list[Path]]:
    root = tmp_path / "logs"
    return {
        "a": make_logs(root / "a", n=1) + make_logs(root / "a" / "deep", n=1, fmt="json"),
        "ab": make_logs(root / "ab", n=1),
        "top": make_logs(root, n=1),
    }


def all_logs(src: dict[str, list[Path]]) -> list[Path]:
    return [p for group in src.values() for p in group]


def test_flat_copy_returns_destination_headers(src: dict[str, list[Path]], tmp_path: Path) -> None:
    sources = all_logs(src)
    before = snapshot(sources)
    dest = tmp_path / "dest"

    result = copy(str(tmp_path / "logs"), dest=str(dest))

    assert files_under(dest) == sorted(p.name for p in sources)
    assert sorted(log.location for log in result) == sorted(uri(dest / p.name) for p in sources)
    for path in sources:
        assert (dest / path.name).read_bytes() == path.read_bytes()  # never rewritten
        assert sample_count(dest / path.name) == 3
    assert snapshot(sources) == before  # sources untouched
    assert not any(name.startswith(".") for name in os.listdir(dest))


def test_source_prefix_matches_whole_components(
    src: dict[str, list[Path]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    copy(str(tmp_path / "logs"), dest="dest", source_prefix="logs/a/")

    a_eval, a_json = src["a"]
    assert files_under(tmp_path / "dest") == sorted(
        [
            a_eval.name,
            f"deep/{a_json.name}",
            src["ab"][0].name,  # logs/ab is not under logs/a: flat
            src["top"][0].name,  # outside the prefix: flat
        ]
    )

    copy(str(tmp_path / "logs"), dest="dest2", source_prefix=str(tmp_path / "logs"))
    assert files_under(tmp_path / "dest2") == sorted(
        [
            f"a/{a_eval.name}",
            f"a/deep/{a_json.name}",
            f"ab/{src['ab'][0].name}",
            src["top"][0].name,
        ]
    )


def test_suffix_and_rename(src: dict[str, list[Path]], tmp_path: Path) -> None:
    (log,) = src["top"]
    copy(str(log), dest=str(tmp_path / "s"), suffix="+re")
    assert files_under(tmp_path / "s") == [f"{log.stem}+re.eval"]

    copy(str(log), dest=str(tmp_path / "r"), rename=lambda name: "renamed-" + name)
    assert files_under(tmp_path / "r") == [f"renamed-{log.name}"]
    assert (tmp_path / "r" / f"renamed-{log.name}").read_bytes() == log.read_bytes()


def test_suffix_with_rename_is_refused(src: dict[str, list[Path]], tmp_path: Path) -> None:
    with pytest.raises(FlowUsageError, match="Provide either suffix or rename, not both."):
        copy(str(src["top"][0]), dest=str(tmp_path / "d"), suffix="+x", rename=lambda n: n)
    assert not (tmp_path / "d").exists()


def test_missing_dest_is_refused(src: dict[str, list[Path]]) -> None:
    with pytest.raises(FlowUsageError, match="dest"):
        copy(str(src["top"][0]), dest="")


def test_existing_destination_is_skipped_untouched_then_overwritten(
    src: dict[str, list[Path]], tmp_path: Path, make_logs: LogFactory
) -> None:
    (log,) = src["top"]
    dest = tmp_path / "dest"
    dest.mkdir()
    existing = dest / log.name
    existing.write_bytes(make_logs.template(fmt="eval", samples=2).read_bytes())
    os.utime(existing, ns=(1_000_000_000, 1_000_000_000))
    before = snapshot([existing])

    report = run_step(copy, str(log), dest=str(dest))

    assert snapshot([existing]) == before
    assert [(e.location, e.status) for e in report.logs] == [(uri(existing), "skipped")]
    assert report.summary() == "copy: 1 skipped"

    report = run_step(copy, str(log), dest=str(dest), overwrite=True)
    assert existing.read_bytes() == log.read_bytes()
    assert [e.status for e in report.logs] == ["copied"]
    assert os.listdir(dest) == [log.name]  # no temp or backup files left


@pytest.mark.parametrize("overwrite", [False, True])
def test_copy_onto_itself_is_refused_and_the_source_is_intact(
    src: dict[str, list[Path]], tmp_path: Path, overwrite: bool
) -> None:
    sources = all_logs(src)
    before = snapshot(sources)

    with pytest.raises(FlowUsageError, match="onto itself"):
        copy(str(src["top"][0]), dest=str(tmp_path / "logs"), overwrite=overwrite)
    with pytest.raises(FlowUsageError, match="onto itself"):  # through the prefix, nested
        copy(
            str(tmp_path / "logs"),
            dest=str(tmp_path / "logs"),
            source_prefix=str(tmp_path / "logs"),
            overwrite=overwrite,
        )
    with pytest.raises(FlowUsageError, match="onto itself"):  # spelled differently
        copy(str(src["top"][0]), dest=f"{tmp_path}/x/../logs/", overwrite=overwrite)

    assert snapshot(sources) == before
    assert files_under(tmp_path / "logs") == sorted(
        str(p.relative_to(tmp_path / "logs")) for p in sources
    )


def test_two_sources_onto_one_destination_are_refused(
    src: dict[str, list[Path]], tmp_path: Path
) -> None:
    with pytest.raises(FlowUsageError, match="Two logs would be copied to"):
        copy(str(tmp_path / "logs"), dest=str(tmp_path / "dest"), rename=lambda n: "same.eval")
    assert not (tmp_path / "dest").exists() or files_under(tmp_path / "dest") == []


def test_dry_run_copies_nothing(src: dict[str, list[Path]], tmp_path: Path) -> None:
    report = run_step(copy, str(tmp_path / "logs"), dry_run=True, dest=str(tmp_path / "dest"))
    assert not (tmp_path / "dest").exists()
    assert {e.status for e in report.logs} == {"would copy"}
    assert len(report.logs) == 4


@step
def tag_then_copy(logs: list[EvalLog], *, dest: str) -> list[EvalLog]:
    logs = tag(logs, add=["before-copy"], author="me")
    return copy(logs, dest=dest)


def test_pending_edits_are_written_first_and_copies_not_rewritten(
    src: dict[str, list[Path]], tmp_path: Path
) -> None:
    sources = all_logs(src)
    dest = tmp_path / "dest"

    result = tag_then_copy([str(p) for p in sources], dest=str(dest))

    assert sorted(log.location for log in result) == sorted(uri(dest / p.name) for p in sources)
    for path in sources:
        copied = dest / path.name
        assert read_header(path).tags == ["before-copy"]
        assert copied.read_bytes() == path.read_bytes()  # a copy of the edited log, not rewritten
        assert len(read_header(copied).log_updates or []) == 1


# --------------------------------------------------------------------------------------- S3


@pytest.fixture
def s3_src(src: dict[str, list[Path]], tmp_path: Path, s3_bucket: str) -> list[str]:
    return upload_dir(tmp_path / "logs", f"{s3_bucket}/logs")


def _get(client: Any, location: str) -> bytes:
    bucket, key = split_s3_uri(location)
    return bytes(client.get_object(Bucket=bucket, Key=key)["Body"].read())


def test_local_to_s3(
    src: dict[str, list[Path]], tmp_path: Path, s3_bucket: str, s3_client: Any
) -> None:
    sources = all_logs(src)

    result = copy(str(tmp_path / "logs"), dest=f"{s3_bucket}/prod/", source_prefix=str(tmp_path))

    expected = sorted(f"logs/{p.relative_to(tmp_path / 'logs')}" for p in sources)
    assert list_keys(s3_client, f"{s3_bucket}/prod") == [f"prod/{k}" for k in expected]
    assert sorted(log.location for log in result) == [f"{s3_bucket}/prod/{k}" for k in expected]
    for path in sources:
        rel = path.relative_to(tmp_path)
        assert _get(s3_client, f"{s3_bucket}/prod/{rel}") == path.read_bytes()

    # again: every destination exists now, so every one is skipped and left alone
    report = run_step(
        copy, str(tmp_path / "logs"), dest=f"{s3_bucket}/prod", source_prefix=str(tmp_path)
    )
    assert {e.status for e in report.logs} == {"skipped"}


def test_s3_to_local(s3_src: list[str], tmp_path: Path, s3_client: Any, s3_bucket: str) -> None:
    dest = tmp_path / "down"
    result = copy(f"{s3_bucket}/logs", dest=str(dest), source_prefix=f"{s3_bucket}/logs")

    keys = sorted(u.removeprefix(f"{s3_bucket}/logs/") for u in s3_src)
    assert files_under(dest) == keys
    assert sorted(log.location for log in result) == sorted(uri(dest / k) for k in keys)
    for location in s3_src:
        rel = location.removeprefix(f"{s3_bucket}/logs/")
        assert (dest / rel).read_bytes() == _get(s3_client, location)
    assert not any(n.startswith(".") for n in os.listdir(dest))


def test_s3_to_s3_is_server_side(
    s3_src: list[str], s3_client: Any, s3_bucket: str, s3_requests: RequestLog
) -> None:
    headers = [read_header(u) for u in s3_src]  # read first: the copy itself must not GET them
    bucket, _ = split_s3_uri(s3_bucket)
    s3_requests.clear()

    result = copy(headers, dest=f"{s3_bucket}/prod")

    source_gets = s3_requests.filter("GET", key_prefix="logs/")
    assert source_gets == [], s3_requests.summary()
    copies = s3_requests.filter(predicate=lambda r: r.is_copy)
    assert sorted(r.key for r in copies) == sorted(f"prod/{u.rsplit('/', 1)[1]}" for u in s3_src)
    assert all(r.status == 200 for r in copies)
    assert not s3_requests.filter("PUT", predicate=lambda r: not r.is_copy)  # no upload
    for location in s3_src:
        name = location.rsplit("/", 1)[1]
        assert _get(s3_client, f"{s3_bucket}/prod/{name}") == _get(s3_client, location)
    assert sorted(log.location for log in result) == sorted(
        f"{s3_bucket}/prod/{u.rsplit('/', 1)[1]}" for u in s3_src
    )
    assert all(log.etag for log in result)
    assert bucket


def test_s3_skip_and_overwrite(
    s3_src: list[str], s3_client: Any, s3_bucket: str, make_logs: LogFactory
) -> None:
    target = s3_src[0]
    name = target.rsplit("/", 1)[1]
    bucket, _ = split_s3_uri(s3_bucket)
    other = make_logs.template(fmt="eval", samples=2).read_bytes()
    s3_client.put_object(Bucket=bucket, Key=f"prod/{name}", Body=other)

    report = run_step(copy, target, dest=f"{s3_bucket}/prod")
    assert [e.status for e in report.logs] == ["skipped"]
    assert _get(s3_client, f"{s3_bucket}/prod/{name}") == other

    report = run_step(copy, target, dest=f"{s3_bucket}/prod", overwrite=True)
    assert [e.status for e in report.logs] == ["copied"]
    assert _get(s3_client, f"{s3_bucket}/prod/{name}") == _get(s3_client, target)
    assert list_keys(s3_client, f"{s3_bucket}/prod") == [f"prod/{name}"]  # no backup left


def test_s3_copy_onto_itself_is_refused(s3_src: list[str], s3_client: Any, s3_bucket: str) -> None:
    before = {u: _get(s3_client, u) for u in s3_src}
    with pytest.raises(FlowUsageError, match="onto itself"):
        copy(
            f"{s3_bucket}/logs",
            dest=f"{s3_bucket}/logs/",
            source_prefix=f"{s3_bucket}/logs",
            overwrite=True,
        )
    assert {u: _get(s3_client, u) for u in s3_src} == before


def test_failed_copy_batch_undoes_its_copies(
    src: dict[str, list[Path]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    make_logs: LogFactory,
) -> None:
    from inspect_flow._logs.local import files as localfiles
    from inspect_flow.api import CommitError

    sources = sorted(all_logs(src), key=lambda p: "file://" + str(p))
    dest = tmp_path / "dest"
    dest.mkdir()
    # the first copy overwrites an existing file, the second one fails
    existing = dest / sources[0].name
    existing.write_bytes(make_logs.template(fmt="eval", samples=2).read_bytes())
    os.utime(existing, ns=(1_000_000_000, 1_000_000_000))
    before = snapshot([existing])
    real_copy = localfiles.clone_or_copy
    calls: list[str] = []

    def failing_copy(source: str, target: str) -> None:
        calls.append(source)
        if source == str(sources[1]):
            raise OSError(28, "No space left on device (injected)")
        real_copy(source, target)

    monkeypatch.setattr(localfiles, "clone_or_copy", failing_copy)
    with pytest.raises(CommitError) as info:
        run_step(copy, [str(p) for p in sources], dest=str(dest), overwrite=True)
    monkeypatch.undo()

    assert str(sources[1]) in calls
    assert snapshot([existing]) == before  # the overwritten file is back
    assert os.listdir(dest) == [existing.name]  # the other copies and all temp files are gone
    statuses = sorted(e.status for e in info.value.report.logs)
    assert statuses == ["failed"] + ["not written"] * (len(sources) - 1)


def test_copies_run_concurrently(
    make_logs: LogFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from inspect_flow._logs.local import files as localfiles

    sources = make_logs(tmp_path / "logs", n=4)
    real_copy = localfiles.clone_or_copy
    # Every copy waits here for a second one: a batch run one copy at a time breaks the barrier.
    meeting = threading.Barrier(2, timeout=10)

    def paired_copy(source: str, target: str) -> None:
        meeting.wait()
        real_copy(source, target)

    monkeypatch.setattr(localfiles, "clone_or_copy", paired_copy)
    report = run_step(copy, str(tmp_path / "logs"), dest=str(tmp_path / "dest"))

    assert sorted(e.status for e in report.logs) == ["copied"] * 4
    for path in sources:
        assert (tmp_path / "dest" / path.name).read_bytes() == path.read_bytes()


@pytest.mark.parametrize("error", [OSError(5, "I/O error (injected)"), KeyboardInterrupt()])
def test_no_copy_starts_after_a_failure_or_an_interrupt(
    make_logs: LogFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: BaseException
) -> None:
    from inspect_flow._logs.local import files as localfiles
    from inspect_flow.api import CommitError

    sources = make_logs(tmp_path / "logs", n=40)
    dest = tmp_path / "dest"
    real_copy = localfiles.clone_or_copy
    calls: list[str] = []
    lock = threading.Lock()

    def first_fails(source: str, target: str) -> None:
        with lock:
            calls.append(source)
            first = len(calls) == 1
        if first:
            raise error
        real_copy(source, target)

    monkeypatch.setattr(localfiles, "clone_or_copy", first_fails)
    expected = CommitError if isinstance(error, Exception) else KeyboardInterrupt
    with pytest.raises(expected) as info:
        run_step(copy, str(tmp_path / "logs"), dest=str(dest))

    # only the copies already in flight when the first one failed ran (a few, bounded by the pool)
    assert len(calls) < len(sources)
    assert not dest.exists()  # no temp file left, and the directory made for them is gone
    if isinstance(info.value, CommitError):
        statuses = sorted(e.status for e in info.value.report.logs)
        assert statuses == ["failed"] + ["not written"] * (len(sources) - 1)


@step
def copy_twice(logs: list[EvalLog], *, first: str, second: str) -> list[EvalLog]:
    return copy(copy(logs, dest=first, overwrite=True), dest=second)


def test_a_copy_of_a_planned_copy_is_made_from_its_source(
    make_logs: LogFactory, tmp_path: Path
) -> None:
    (a,) = make_logs(tmp_path / "a", n=1, samples=2)
    (b,) = make_logs(tmp_path / "b", n=1, samples=4)
    a = a.rename(tmp_path / "a" / b.name)  # a -> b/NAME (overwritten), then b/NAME -> c/NAME
    old_b = b.read_bytes()

    report = run_step(copy_twice, str(a), first=str(tmp_path / "b"), second=str(tmp_path / "c"))

    c = tmp_path / "c" / b.name
    assert c.read_bytes() == a.read_bytes() == b.read_bytes() != old_b
    assert [e.status for e in report.logs] == ["copied", "copied"]


@step
def copy_then_tag(logs: list[EvalLog], *, dest: str) -> list[EvalLog]:
    copies = copy(logs, dest=dest)
    return tag(copies, add=["promoted"], author="me")


def test_copies_can_be_edited_by_a_later_step(src: dict[str, list[Path]], tmp_path: Path) -> None:
    sources = all_logs(src)
    before = snapshot(sources)

    report = run_step(copy_then_tag, str(tmp_path / "logs"), dest=str(tmp_path / "dest"))

    assert snapshot(sources) == before
    for path in sources:
        assert read_header(tmp_path / "dest" / path.name).tags == ["promoted"]
    statuses = {e.location: e.status for e in report.logs}
    assert statuses == {uri(tmp_path / "dest" / p.name): "written" for p in sources}
