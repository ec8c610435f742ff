"""Shared fixtures of the CLI tests: an isolated CWD, registries and discovery caches per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.cli import isolated_cli
from helpers.logs import LogFactory


@pytest.fixture(autouse=True)
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    yield from isolated_cli(tmp_path, monkeypatch)


@pytest.fixture
def logs(work: Path, make_logs: LogFactory) -> list[Path]:
    return make_logs(work / "logs", n=2)
