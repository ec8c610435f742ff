"""Fixtures of the Flow Store tests: a private default store, a CLI sandbox, logs in a project."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.cli import isolated_cli
from helpers.logs import LogFactory


@pytest.fixture(autouse=True)
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Run each test in its own empty directory, with its own default store location."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    yield from isolated_cli(tmp_path, monkeypatch)


@pytest.fixture
def project(work: Path, make_logs: LogFactory) -> dict[str, list[Path]]:
    """Logs in ``logs/a`` (3 .eval), ``logs/b`` (2 .json), ``logs/b/sub`` (1) and ``logs_1`` (1)."""
    return {
        "a": make_logs(work / "logs" / "a", n=3),
        "b": make_logs(work / "logs" / "b", n=2, fmt="json"),
        "sub": make_logs(work / "logs" / "b" / "sub", n=1),
        "logs_1": make_logs(work / "logs_1", n=1),
    }
