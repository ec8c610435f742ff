"""Entry points are imported only when a step name is not found (or to list every step)."""

from __future__ import annotations

from importlib.metadata import EntryPoint
from pathlib import Path

import pytest
from helpers.cli import flow_cli, write_file
from helpers.logs import read_header

PLUGIN = """
from pathlib import Path
from inspect_flow import step
from inspect_flow.api import tag

Path({events!r}).open("a").write("imported\\n")

@step
def plugged(logs):
    \"\"\"A step from an installed package.\"\"\"
    return tag(logs, add=["plugged"])
"""


@pytest.fixture
def events(work: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    events = tmp_path / "events.txt"
    write_file(tmp_path / "pkg" / "ep_plugin_cli.py", PLUGIN.format(events=str(events)))
    monkeypatch.syspath_prepend(str(tmp_path / "pkg"))
    monkeypatch.delitem(__import__("sys").modules, "ep_plugin_cli", raising=False)
    entry = EntryPoint("plugin", "ep_plugin_cli", "inspect_ai")
    monkeypatch.setattr(
        "importlib.metadata.entry_points",
        lambda group: [entry] if group == "inspect_ai" else [],
    )
    return events


def test_a_known_step_does_not_import_entry_points(logs: list[Path], events: Path) -> None:
    result = flow_cli("step", "tag", "logs", "--add", "x")
    assert result.code == 0, result
    assert not events.exists()


def test_an_unknown_name_falls_back_to_entry_points(logs: list[Path], events: Path) -> None:
    result = flow_cli("step", "plugged", "logs")
    assert result.code == 0, result
    assert events.read_text() == "imported\n"
    assert all(read_header(p).tags == ["plugged"] for p in logs)


def test_listing_steps_includes_entry_points(events: Path) -> None:
    result = flow_cli("step", "--help")
    assert result.code == 0, result
    assert "plugged" in result.stdout
