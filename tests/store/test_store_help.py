"""``flow store`` help texts (golden files in ``tests/data/cli``; FLOW_UPDATE_GOLDEN=1 rewrites)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers.cli import flow_cli

GOLDEN = Path(__file__).resolve().parents[1] / "data" / "cli"


@pytest.mark.parametrize("command", ["", "import", "remove", "list", "info", "delete"])
def test_store_help_matches_golden(command: str) -> None:
    args = ["store", command] if command else ["store"]
    result = flow_cli(*args, "--help")
    assert result.code == 0, result
    assert result.stderr == ""
    path = GOLDEN / f"store_{command or 'group'}_help.txt"
    if os.environ.get("FLOW_UPDATE_GOLDEN"):
        path.write_text(result.stdout)
    assert result.stdout == path.read_text()


def test_flow_help_lists_store() -> None:
    result = flow_cli("--help")
    assert "  store   Manage the flow store" in result.stdout.splitlines()
