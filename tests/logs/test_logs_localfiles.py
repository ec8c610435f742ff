"""Local staging copies: a reflink clone (ioctl FICLONE) first, then an in-kernel copy on the same
file descriptors; every fallback gives the same bytes, and real I/O errors are not hidden."""

from __future__ import annotations

import errno
import fcntl
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from helpers.logs import LogFactory, read_log

from inspect_flow._logs.local import files as localfiles
from inspect_flow.api import copy, tag

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="FICLONE is Linux")

FICLONE = 0x40049409


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "source.bin"
    path.write_bytes(os.urandom(3 * 1024 * 1024 + 17))  # several sendfile rounds' worth, odd size
    return path


def _record_ioctl(monkeypatch: pytest.MonkeyPatch, result: OSError | None) -> list[int]:
    """Replace fcntl.ioctl: record requests; fail them with ``result``, or clone by copying."""
    requests: list[int] = []

    def fake(fd: int, request: int, arg: Any = 0, *rest: Any) -> int:
        requests.append(request)
        if result is not None:
            raise result
        os.sendfile(fd, arg, 0, os.fstat(arg).st_size)  # what a clone leaves: the same bytes
        return 0

    monkeypatch.setattr(fcntl, "ioctl", fake)
    return requests


@pytest.mark.parametrize("cloned", [False, True])
def test_clone_first_then_copy_only_if_it_failed(
    source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cloned: bool
) -> None:
    failure = None if cloned else OSError(errno.EOPNOTSUPP, "Operation not supported")
    requests = _record_ioctl(monkeypatch, failure)
    copies: list[object] = []
    real_copy = localfiles._copy_open
    monkeypatch.setattr(localfiles, "_copy_open", lambda *a: copies.append(a) or real_copy(*a))
    dest = tmp_path / "dest.bin"

    localfiles.clone_or_copy(str(source), str(dest))

    assert requests == [FICLONE]
    assert len(copies) == (0 if cloned else 1)  # a clone is not copied again
    assert dest.read_bytes() == source.read_bytes()


def test_without_sendfile_the_copy_goes_through_python(
    source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unsupported(*args: Any) -> int:
        raise OSError(errno.EINVAL, "Invalid argument")

    monkeypatch.setattr(os, "sendfile", unsupported)
    dest = tmp_path / "dest.bin"
    dest.write_bytes(b"older and longer content than nothing")  # truncated, as copyfile does

    localfiles.clone_or_copy(str(source), str(dest))

    assert dest.read_bytes() == source.read_bytes()


def test_an_io_error_part_way_is_raised(
    source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = os.sendfile
    calls: list[int] = []

    def fails_second_time(out_fd: int, in_fd: int, offset: int, count: int) -> int:
        calls.append(offset)
        if len(calls) == 2:
            raise OSError(errno.EIO, "Input/output error")
        return real(out_fd, in_fd, offset, min(count, 1024 * 1024))

    monkeypatch.setattr(os, "sendfile", fails_second_time)

    with pytest.raises(OSError) as info:
        localfiles.clone_or_copy(str(source), str(tmp_path / "dest.bin"))
    assert info.value.errno == errno.EIO


def test_write_new_file_never_replaces_a_file(tmp_path: Path) -> None:
    existing = tmp_path / "taken"
    existing.write_bytes(b"keep me")
    mode_from = tmp_path / "mode"
    mode_from.write_bytes(b"")
    mode_from.chmod(0o640)

    with pytest.raises(FileExistsError):
        localfiles.write_new_file(str(existing), b"new", mode_from=str(mode_from))
    localfiles.write_new_file(str(tmp_path / "fresh"), b"new", mode_from=str(mode_from))

    assert existing.read_bytes() == b"keep me"
    assert (tmp_path / "fresh").read_bytes() == b"new"
    assert (tmp_path / "fresh").stat().st_mode & 0o7777 == 0o640


def test_header_writes_and_copies_try_a_clone_first(
    make_logs: LogFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    logs = make_logs(tmp_path / "logs", n=2, samples=2)
    before = [read_log(p).samples for p in logs]
    requests = _record_ioctl(monkeypatch, None)

    tag([str(p) for p in logs], add=["a"], author="me")
    copy([str(p) for p in logs], dest=str(tmp_path / "dest"))

    assert requests == [FICLONE] * 4  # two header writes, two copies
    for path, samples in zip(logs, before, strict=True):
        for target in (path, tmp_path / "dest" / path.name):
            log = read_log(target)
            assert log.tags == ["a"] and log.samples == samples
