"""Fixtures of the ``flow run`` tests: a project folder with the tiny tasks, in a fresh CWD."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.cli import isolated_cli

DATA = Path(__file__).parent.parent / "data" / "run"


@pytest.fixture
def proj(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The CWD: ``tasks.py`` and ``spec.py`` (log_dir ``logs``); ``INSPECT_FLOW_STORE`` is a
    store of this test's own (so runs never touch the session's default store)."""
    for work in isolated_cli(tmp_path, monkeypatch):
        shutil.copy(DATA / "tasks.py", work / "tasks.py")
        shutil.copy(DATA / "spec.py", work / "spec.py")
        monkeypatch.setenv("INSPECT_FLOW_STORE", str(tmp_path / "store"))
        monkeypatch.delenv("FLOW_TEST_STOP", raising=False)
        monkeypatch.delenv("FLOW_TEST_FAIL", raising=False)
        yield work
