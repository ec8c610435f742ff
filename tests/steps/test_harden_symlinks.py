"""Issue 9 item 4: a symlinked log is edited through the link; the link stays a link."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers.cli import flow_cli
from helpers.logs import LogFactory, read_header


@pytest.mark.parametrize("fmt", ["eval", "json"])
def test_a_symlinked_log_is_tagged_through_the_link(
    make_logs: LogFactory, tmp_path: Path, fmt: str
) -> None:
    (real,) = make_logs(tmp_path / "real", n=1, fmt=fmt)  # type: ignore[arg-type]
    (tmp_path / "logs").mkdir()
    link = tmp_path / "logs" / real.name
    link.symlink_to(os.path.relpath(real, link.parent))

    result = flow_cli("step", "tag", str(link), "--add", "linked")

    assert result.code == 0, result
    assert link.is_symlink() and link.resolve() == real.resolve()
    assert read_header(real).tags == ["linked"]
    assert sorted(p.name for p in (tmp_path / "logs").iterdir()) == [real.name]  # no leftovers
    assert sorted(p.name for p in (tmp_path / "real").iterdir()) == [real.name]


def test_logs_in_a_symlinked_folder_are_tagged_in_the_real_folder(
    make_logs: LogFactory, tmp_path: Path
) -> None:
    logs = make_logs(tmp_path / "real", n=2)
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "sub").symlink_to(tmp_path / "real", target_is_directory=True)

    result = flow_cli("step", "tag", str(tmp_path / "logs" / "sub"), "--add", "linked")

    assert result.code == 0, result
    assert (tmp_path / "logs" / "sub").is_symlink()
    assert all(read_header(p).tags == ["linked"] for p in logs)
    assert sorted(p.name for p in (tmp_path / "real").iterdir()) == sorted(p.name for p in logs)


def test_a_symlinked_log_found_by_listing_its_folder_keeps_its_link(
    make_logs: LogFactory, tmp_path: Path
) -> None:
    (real,) = make_logs(tmp_path / "real", n=1)
    (tmp_path / "logs").mkdir()
    link = tmp_path / "logs" / real.name
    link.symlink_to(real)

    result = flow_cli("step", "tag", str(tmp_path / "logs"), "--add", "linked")

    assert result.code == 0, result
    assert link.is_symlink()
    assert read_header(real).tags == ["linked"]
