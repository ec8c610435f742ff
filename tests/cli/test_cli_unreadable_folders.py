"""Folders that cannot be read are reported, never skipped silently.

The suite runs as root, who reads everything, so ``flow`` runs in a subprocess bound by file
permissions: as root, without the capabilities that bypass them (``CAP_DAC_OVERRIDE`` and
``CAP_DAC_READ_SEARCH`` dropped from the bounding set before ``exec``); as any other user, as is.
Unreadable folders are made with mode 000.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.cli import drop_permission_bypass as _drop_permission_bypass
from helpers.cli import flow_bound
from helpers.logs import LogFactory, read_header

pytestmark = pytest.mark.slow  # subprocess runs of flow


@pytest.fixture
def work(tmp_path: Path) -> Path:
    probe = tmp_path / "probe"
    probe.mkdir(mode=0)
    try:
        done = flow_bound("--version", cwd=tmp_path)
        check = subprocess.run(
            [sys.executable, "-c", f"import os; os.listdir({str(probe)!r})"],
            preexec_fn=_drop_permission_bypass,
            capture_output=True,
            check=False,
        )
    except OSError as exc:
        pytest.skip(f"cannot run flow bound by file permissions here: {exc}")
    finally:
        probe.rmdir()
    if done.returncode != 0 or check.returncode == 0:
        pytest.skip("cannot run flow bound by file permissions here (folders stay readable)")
    return tmp_path


@pytest.fixture
def tree(work: Path, make_logs: LogFactory) -> Iterator[Path]:
    """``logs`` (one log) holding ``secret`` (one log, mode 000)."""
    make_logs(work / "logs", n=1)
    make_logs(work / "logs" / "secret", n=1)
    (work / "logs" / "secret").chmod(0)
    (work / "locked").mkdir(mode=0)
    yield work
    (work / "logs" / "secret").chmod(0o700)
    (work / "locked").chmod(0o700)


def test_unreadable_subfolder_is_an_error_and_the_rest_is_processed(tree: Path) -> None:
    done = flow_bound("step", "tag", "logs", "--add", "x", "--json", cwd=tree)
    assert done.returncode == 1, done.stderr
    assert "✗ Could not read log logs/secret: cannot list folder: Permission denied" in done.stderr
    report = json.loads(done.stdout)
    assert sorted(entry["status"] for entry in report["logs"]) == ["unreadable", "written"]
    (readable,) = (tree / "logs").glob("*.eval")
    assert read_header(readable).tags == ["x"]


def test_unreadable_path_is_a_permission_error(tree: Path) -> None:
    """``flow step tag /root`` as a user: a permission error, not "No logs found"."""
    done = flow_bound("step", "tag", "locked", "--add", "x", cwd=tree)
    assert done.returncode == 1, done.stderr
    assert done.stderr.strip() == "✗ Error: Permission denied: locked"


def test_check_lists_an_unreadable_folder(tree: Path) -> None:
    (tree / "spec.yaml").write_text("log_dir: logs\ntasks: []\n")
    done = flow_bound("check", "spec.yaml", "--json", cwd=tree)
    assert done.returncode == 1, done.stderr
    data = json.loads(done.stdout)
    assert [u["error"] for u in data["unreadable"]] == ["cannot list folder: Permission denied"]
