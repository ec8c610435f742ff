"""Our header writes put exactly what inspect_ai's ``write_eval_log(header_only=True)`` writes.

``.eval``: the new ``header.json`` member (same bytes, same zip method, same place, old member
dropped from the central directory) without inspect_ai's 12-thread compressor. ``.json``:
inspect_ai's header keys, with the samples copied raw from disk instead of re-validated and
re-serialised.
"""

from __future__ import annotations

import json
import shutil
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
from helpers.logs import LogFactory, read_header, read_log
from inspect_ai.log import (
    EvalLog,
    MetadataEdit,
    ProvenanceData,
    TagsEdit,
    edit_eval_log,
    write_eval_log,
)

from inspect_flow._logs.format import inspect_shim as _inspect
from inspect_flow._logs.format.headers import json_with_new_header, replace_eval_header
from inspect_flow.api import tag

STATUSES = ["success", "error", "cancelled", "started"]


def _edited(log: EvalLog) -> EvalLog:
    edits = [TagsEdit(tags_add=["reviewed"]), MetadataEdit(metadata_set={"score": 0.95})]
    return edit_eval_log(log, edits, ProvenanceData(author="me"))


def _members(path: Path) -> list[tuple[Any, ...]]:
    """The central directory as a zip reader (and the viewer) sees it, entry by entry."""
    with zipfile.ZipFile(path) as archive:
        return [
            (
                i.filename,
                i.header_offset,
                i.compress_type,
                i.create_version,
                i.extract_version,
                i.flag_bits,
                i.external_attr,
                i.date_time,
                i.file_size,
                i.CRC,
            )
            for i in archive.infolist()
        ]


def _member(path: Path, name: str) -> bytes:
    with zipfile.ZipFile(path) as archive:
        return archive.read(name)


def _write_both(
    source: Path, tmp_path: Path, log: EvalLog, monkeypatch: pytest.MonkeyPatch
) -> tuple[Path, Path]:
    """Write ``log``'s header into two copies of ``source``: ours, then inspect_ai's."""
    ours, theirs = tmp_path / "ours.eval", tmp_path / "theirs.eval"
    shutil.copyfile(source, ours)
    shutil.copyfile(source, theirs)
    frozen = time.time()
    # Both stamp the member with the current time; freeze it so the entries compare whole.
    monkeypatch.setattr(time, "time", lambda: frozen)
    assert replace_eval_header(str(ours), log)
    write_eval_log(log, str(theirs), header_only=True)
    monkeypatch.undo()
    return ours, theirs


@pytest.mark.parametrize("status", STATUSES)
def test_eval_header_member_is_what_inspect_writes(
    make_logs: LogFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, status: str
) -> None:
    (path,) = make_logs(tmp_path / "logs", n=1, status=status)  # type: ignore[arg-type]
    log = _edited(read_header(path))

    ours, theirs = _write_both(path, tmp_path, log, monkeypatch)

    assert _members(ours) == _members(theirs)
    assert _member(ours, "header.json") == _member(theirs, "header.json")
    with zipfile.ZipFile(ours) as archive:
        assert archive.testzip() is None  # every member's CRC checks
        assert archive.namelist().count("header.json") == 1
    data = ours.read_bytes()
    # The viewer reads the end record only at length - 22 (no trailing bytes, no comment).
    assert data[-22:-18] == b"PK\x05\x06"
    assert len(data) == theirs.stat().st_size
    back = read_log(ours)
    assert back.samples == read_log(path).samples
    assert back.tags == ["reviewed"] and back.metadata["score"] == 0.95
    assert back.status == status


def test_big_eval_header_write_appends_only_the_header(
    make_logs: LogFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (path,) = make_logs(tmp_path / "logs", n=1, big=True)
    log = _edited(read_header(path))

    ours, theirs = _write_both(path, tmp_path, log, monkeypatch)

    assert _members(ours) == _members(theirs)
    assert _member(ours, "header.json") == _member(theirs, "header.json")
    original = path.read_bytes()
    with zipfile.ZipFile(path) as archive:
        start_dir = archive.start_dir
    assert ours.read_bytes()[:start_dir] == original[:start_dir]  # samples untouched
    assert read_log(ours).samples == read_log(path).samples


@pytest.mark.parametrize("status", STATUSES)
def test_json_log_is_what_inspect_writes(
    make_logs: LogFactory, tmp_path: Path, status: str
) -> None:
    (path,) = make_logs(tmp_path / "logs", n=1, fmt="json", status=status)  # type: ignore[arg-type]
    log = _edited(read_header(path))
    theirs = tmp_path / "theirs.json"
    shutil.copyfile(path, theirs)
    write_eval_log(log, str(theirs), header_only=True)

    ours = json_with_new_header(path.read_bytes(), log)

    assert ours is not None
    document, expected = json.loads(ours), json.loads(theirs.read_bytes())
    assert document == expected
    assert list(document) == list(expected)  # the same keys in the same order
    original = json.loads(path.read_bytes())
    for key in ("samples", "reductions"):
        assert document.get(key) == original.get(key)


def test_json_samples_are_copied_raw_not_rewritten(make_logs: LogFactory, tmp_path: Path) -> None:
    # A lone surrogate (valid JSON, written by some other tool): inspect_ai's serialiser would
    # rewrite it as a backslash escape; the sample must come back exactly as it was.
    (path,) = make_logs(tmp_path / "logs", n=1, fmt="json")
    document = json.loads(path.read_bytes())
    document["samples"][0]["metadata"] = {"odd": "\ud800 text"}
    path.write_text(json.dumps(document, indent=2))

    tag(str(path), add=["a"], author="me")

    after = json.loads(path.read_bytes())
    assert after["samples"] == document["samples"]
    assert read_header(path).tags == ["a"]


def _count_inspect_writes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    import inspect_ai.log

    calls: list[str] = []
    real = inspect_ai.log.write_eval_log

    def counting(log: EvalLog, location: Any = None, *args: Any, **kwargs: Any) -> Any:
        calls.append(str(location))
        return real(log, location, *args, **kwargs)

    monkeypatch.setattr(inspect_ai.log, "write_eval_log", counting)
    return calls


@pytest.mark.parametrize("fmt", ["eval", "json"])
@pytest.mark.parametrize("serialiser_moved", [False, True])
def test_tag_writes_without_inspect_write_unless_its_serialiser_moved(
    make_logs: LogFactory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fmt: str,
    serialiser_moved: bool,
) -> None:
    (path,) = make_logs(tmp_path / "logs", n=1, fmt=fmt, samples=4)  # type: ignore[arg-type]
    before = read_log(path).samples
    if serialiser_moved:
        monkeypatch.setattr(_inspect, "eval_header_json", lambda log: None)
        monkeypatch.setattr(_inspect, "header_fields_json", lambda log: None)
    calls = _count_inspect_writes(monkeypatch)

    tag(str(path), add=["a"], author="me")

    assert len(calls) == (1 if serialiser_moved else 0)
    after = read_log(path)
    assert after.tags == ["a"] and after.samples == before
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp file left


def test_a_file_that_is_not_a_zip_is_refused(make_logs: LogFactory, tmp_path: Path) -> None:
    (path,) = make_logs(tmp_path / "logs", n=1)
    log = read_header(path)
    staged = tmp_path / "staged.eval"
    staged.write_bytes(b"not a zip archive at all\n" * 100)

    # zipfile's append mode would otherwise add a fresh archive after these bytes
    with pytest.raises(zipfile.BadZipFile):
        replace_eval_header(str(staged), log)
