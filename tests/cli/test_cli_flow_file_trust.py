"""``_flow.py`` files found up the tree run only when safe (git's ``safe.directory`` idea).

A file owned by another user, writable by every user, or in a world-writable folder without the
sticky bit is skipped with a warning naming it, unless ``INSPECT_FLOW_TRUSTED_PATHS`` trusts it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers.cli import flow_cli, write_file
from helpers.logs import read_header

FLOW = """
from inspect_flow import step
from inspect_flow.api import tag

@step
def planted(logs):
    \"\"\"Planted by someone else.\"\"\"
    return tag(logs, add=["planted"])
"""

NOBODY = 65534


def shared_folder(work: Path, mode: int) -> Path:
    folder = work / "shared"
    folder.mkdir()
    write_file(folder / "_flow.py", FLOW)
    folder.chmod(mode)
    return folder


def test_world_writable_folder_without_sticky_bit_is_skipped(
    work: Path, logs: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = shared_folder(work, 0o777)
    monkeypatch.chdir(folder)
    result = flow_cli("step", "planted", str(work / "logs"))
    assert result.code == 2, result
    assert (
        f"⚠ Not executing {folder / '_flow.py'}: in a world-writable folder without the sticky "
        f"bit. To trust it, set INSPECT_FLOW_TRUSTED_PATHS={folder}"
    ) in " ".join(result.stderr.split())
    assert result.err_lines()[-1].startswith("✗ Error: No such command 'planted'")
    assert all(not read_header(p).tags for p in logs)


def test_sticky_world_writable_folder_runs(
    work: Path, logs: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(shared_folder(work, 0o1777))
    result = flow_cli("step", "planted", str(work / "logs"))
    assert result.code == 0, result
    assert "Not executing" not in result.stderr


def test_trusted_explicitly_runs(
    work: Path, logs: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = shared_folder(work, 0o777)
    monkeypatch.chdir(folder)
    result = flow_cli(
        "step", "planted", str(work / "logs"), env={"INSPECT_FLOW_TRUSTED_PATHS": str(work)}
    )
    assert result.code == 0, result
    assert all(read_header(p).tags == ["planted"] for p in logs)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give a file to another user")
def test_file_owned_by_another_user_is_skipped(
    work: Path, logs: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = shared_folder(work, 0o755)
    os.chown(folder / "_flow.py", NOBODY, NOBODY)
    monkeypatch.chdir(folder)
    result = flow_cli("step", "planted", str(work / "logs"))
    assert result.code == 2, result
    assert f"Not executing {folder / '_flow.py'}: owned by another user (uid {NOBODY})" in (
        " ".join(result.stderr.split())
    )
    assert all(not read_header(p).tags for p in logs)
    trusted = flow_cli(
        "step", "planted", str(work / "logs"), env={"INSPECT_FLOW_TRUSTED_PATHS": "*"}
    )
    assert trusted.code == 0, trusted
