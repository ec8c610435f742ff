"""``make_durable``: a local batch's staged files are flushed before any replaces a log."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from inspect_flow._logs.local import files


def _write(folder: Path, n: int) -> list[str]:
    folder.mkdir(exist_ok=True)
    paths = [str(folder / f"{i}.tmp") for i in range(n)]
    for path in paths:
        Path(path).write_bytes(b"staged")
    return paths


@pytest.mark.parametrize("n", [1, 3, files.SYNCFS_MIN_FILES, 40])
def test_every_written_file_is_flushed_without_error(tmp_path: Path, n: int) -> None:
    paths = _write(tmp_path, n)
    assert files.make_durable(paths) == {}
    assert all(Path(p).read_bytes() == b"staged" for p in paths)


@pytest.mark.parametrize("n", [3, 40])  # per-file fsync, and one syncfs for the batch
def test_a_file_that_cannot_be_flushed_is_reported_by_path(tmp_path: Path, n: int) -> None:
    paths = _write(tmp_path, n)
    os.unlink(paths[1])
    failures = files.make_durable(paths)
    assert list(failures) == [paths[1]]
    assert isinstance(failures[paths[1]], FileNotFoundError)


def test_files_on_two_filesystems_are_each_flushed(tmp_path: Path) -> None:
    # /dev/shm is a tmpfs on Linux: another filesystem than the test's temp dir (usually).
    shm = Path("/dev/shm")
    if not shm.is_dir() or shm.stat().st_dev == tmp_path.stat().st_dev:
        pytest.skip("no second filesystem here")
    other = shm / f"flow-durable-{os.getpid()}"
    try:
        paths = _write(tmp_path, 20) + _write(other, 20)
        assert files.make_durable(paths) == {}
    finally:
        for path in other.glob("*"):
            path.unlink()
        other.rmdir()
