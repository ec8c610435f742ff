"""Leftovers of interrupted runs: which hidden files a run removes where it stages, and which not.

The SIGKILL end to end (a killed run's temp file removed by the next ``flow step tag``, a live
process's and other people's hidden files kept) is in ``test_crash.py``. Here the rules, with the
temp files a killed run would leave made directly: the owner is a process that really ran and has
exited (its pid no longer exists), or another host.

Ages: a file's age is measured from its ctime, which no test can move back, so the age threshold
(``leftovers.LEFTOVER_AGE_SECONDS``, a day) is set to 0 to make files "old"; with the default they
are fresh.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.cli import flow_cli, leftovers_removed_line
from helpers.logs import LogFactory, read_header, read_log

from inspect_flow._logs import cleanup as leftovers
from inspect_flow._logs import expand_paths


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def exited_pid() -> int:
    """The pid of a process that ran here and is gone (reaped)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def leftover(
    log: Path, kind: leftovers.Kind = "flowtmp", pid: int | None = None, host: str = ""
) -> Path:
    """Make the temp file process ``pid`` (default: this one) on ``host`` (default: this one)
    would have made for ``log``."""
    made = Path(leftovers.temp_name(str(log), kind))
    stem, owner, suffix = made.name.rsplit(".", 2)
    here, own_pid, random = owner.split("-")
    path = made.with_name(f"{stem}.{host or here}-{pid or own_pid}-{random}.{suffix}")
    path.write_bytes(b"partial")
    return path


def this_host() -> str:
    return Path(leftovers.temp_name("x.eval", "flowtmp")).name.rsplit(".", 2)[1].split("-")[0]


def hidden(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.name.startswith("."))


def removed_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "leftover" in line]


def test_temp_names_are_hidden_and_never_listed(make_logs: LogFactory, tmp_path: Path) -> None:
    log = make_logs(tmp_path / "logs", n=1)[0]
    made = [leftover(log, "flowtmp"), leftover(log, "flowbak"), leftover(log, pid=exited_pid())]
    assert all(p.name.startswith(f".{log.name}.") for p in made)
    assert expand_paths([str(tmp_path / "logs")]) == ["file://" + str(log)]


def test_copy_removes_dead_leftovers_in_its_destination(
    make_logs: LogFactory, tmp_path: Path
) -> None:
    source = make_logs(tmp_path / "src", n=2)
    dest = tmp_path / "dest"
    dest.mkdir()
    dead = leftover(dest / source[0].name, pid=exited_pid())
    live = leftover(dest / "x.eval", "flowbak", pid=1)  # init (or the container's first process)
    result = flow_cli("step", "copy", "src", "--dest", "dest")

    assert result.code == 0, result
    assert removed_lines(result.stderr) == [leftovers_removed_line(1, "dest")]
    assert not dead.exists()
    assert hidden(dest) == [live]
    assert sorted(p.name for p in dest.glob("*.eval")) == sorted(p.name for p in source)
    assert all(read_log(dest / p.name).samples for p in source)


def test_unowned_and_foreign_leftovers_go_only_when_old(
    make_logs: LogFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "logs"
    log = make_logs(root, n=1)[0]
    mine = leftover(log)  # this process: alive
    other_host = leftover(
        log, pid=exited_pid(), host="1" * 8 if this_host() == "0" * 8 else "0" * 8
    )
    unowned = root / f".{log.name}.0123456789ab.flowbak"  # our names before they had owners
    unowned.write_bytes(b"old")
    not_ours = [root / ".DS_Store", root / f".{log.name}.notes"]
    for path in not_ours:
        path.write_bytes(b"keep")
    directory = root / f".{log.name}.{this_host()}-{exited_pid()}-0123abcd.flowtmp"
    directory.mkdir()  # named like ours, but a directory: we only ever make files
    link = leftover(log, pid=exited_pid())
    link.unlink()
    link.symlink_to(log)  # ... or a symlink
    not_files = [directory, link]

    fresh = flow_cli("step", "tag", "logs", "--add", "a")
    assert fresh.code == 0, fresh
    assert removed_lines(fresh.stderr) == []
    assert hidden(root) == sorted([mine, other_host, unowned, *not_ours, *not_files])

    monkeypatch.setattr(leftovers, "LEFTOVER_AGE_SECONDS", 0)
    old = flow_cli("step", "tag", "logs", "--add", "b")
    assert old.code == 0, old
    # another host's and one whose live pid, this old, can only be a reused one; the unowned
    # .flowbak holds a previous version of its log: kept, and said
    assert removed_lines(old.stderr) == [leftovers_removed_line(2, "logs")]
    assert backups_lines(old.stderr) == [backups_line(1, "logs")]
    assert hidden(root) == sorted([unowned, *not_ours, *not_files])
    assert read_header(log).tags == ["a", "b"]


def backups_line(count: int, where: str) -> str:
    versions = "version" if count == 1 else "versions"
    return (
        f"⚠ {count} previous {versions} of logs left by interrupted runs in {where} "
        "(.NAME.….flowbak, kept: restore one with mv, or delete them)"
    )


def backups_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "previous version" in line]


def test_a_dead_runs_backup_is_kept_unless_it_is_still_the_log(
    make_logs: LogFactory, tmp_path: Path
) -> None:
    root = tmp_path / "logs"
    first, second = make_logs(root, n=2)
    same = leftover(first, "flowbak", pid=exited_pid())
    same.unlink()
    os.link(first, same)  # killed between the link and the swap: the log itself, nothing more
    previous = leftover(second, "flowbak", pid=exited_pid())  # killed after the swap
    previous.write_bytes(second.read_bytes())  # a separate file: the log's previous version

    result = flow_cli("step", "tag", "logs", "--add", "x")
    assert result.code == 0, result
    assert removed_lines(result.stderr) == [leftovers_removed_line(1, "logs")]
    assert backups_lines(result.stderr) == [backups_line(1, "logs")]
    assert hidden(root) == [previous]
    again = flow_cli("step", "tag", "logs", "--add", "y")
    assert backups_lines(again.stderr) == [backups_line(1, "logs")]  # said until it is dealt with
    assert previous.exists()


def test_leftovers_are_removed_only_where_a_batch_stages(
    make_logs: LogFactory, tmp_path: Path
) -> None:
    here, elsewhere = make_logs(tmp_path / "here", n=1)[0], make_logs(tmp_path / "there", n=1)[0]
    kept = leftover(elsewhere, pid=exited_pid())
    gone = leftover(here, pid=exited_pid())

    unchanged = flow_cli("step", "tag", "here", "--add", "x", "--dry-run")
    assert unchanged.code == 0 and gone.exists()  # a dry run stages nothing

    result = flow_cli("step", "tag", "here", "--add", "x")
    assert result.code == 0, result
    assert not gone.exists() and kept.exists()
    assert read_header(here).tags == ["x"]


def test_kept_previous_versions_are_said_on_every_run_over_their_folder(
    make_logs: LogFactory, tmp_path: Path
) -> None:
    (log,) = make_logs(tmp_path / "logs", n=1)
    previous = leftover(log, "flowbak", pid=exited_pid())  # a killed run's previous version
    make_logs(tmp_path / "logs" / "sub", n=1)

    # a dry run, a run that writes, a run with nothing to write
    for args in (["--add", "x", "--dry-run"], ["--add", "x"], ["--add", "x"]):
        result = flow_cli("step", "tag", "logs", *args)
        assert result.code == 0, result
        assert backups_lines(result.stderr) == [backups_line(1, "logs")], args
    assert previous.exists()


def test_a_run_in_batches_sweeps_each_folder_once(
    make_logs: LogFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder of 100k logs costs a 100k-entry scan per sweep: one per run, not per batch."""
    folder = tmp_path / "logs"
    make_logs(folder, n=6)
    scans: list[str] = []
    real_scandir = os.scandir

    def counting_scandir(path: str) -> os.ScandirIterator[str]:
        if os.fspath(path) == str(folder):
            scans.append(os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", counting_scandir)
    counts = {}
    for size, tag in (("6", "a"), ("1", "b")):  # one batch, then six
        gone = leftover(next(folder.glob("*.eval")), pid=exited_pid())
        scans.clear()
        result = flow_cli("step", "tag", "logs", "--add", tag, "--batch-size", size)
        assert result.code == 0, result
        assert not gone.exists()
        assert removed_lines(result.stderr) == [leftovers_removed_line(1, "logs")]
        counts[size] = len(scans)
    assert counts["1"] == counts["6"]  # the listing and one sweep, whatever the batches
