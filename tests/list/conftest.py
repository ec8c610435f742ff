"""Fixtures for ``flow list log`` tests: an isolated CLI per test, and the fixed log corpus."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.cli import isolated_cli
from helpers.list_corpus import build_corpus
from helpers.logs import LogFactory


@pytest.fixture(autouse=True)
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    yield from isolated_cli(tmp_path, monkeypatch)


@pytest.fixture
def corpus(work: Path, make_logs: LogFactory) -> list[Path]:
    """The fixed corpus under ``work/logs`` (``helpers.list_corpus.CORPUS``)."""
    return build_corpus(work, make_logs)
