"""Flow initialises itself on the first library call (``.env``, display), as 0.14 does."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers.logs import LogFactory

from inspect_flow import _runtime


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_runtime, "_initialised", False)
    for name in ("FLOW_DOTENV_SPEC", "FLOW_DOTENV_CWD", "FLOW_DOTENV_KEPT"):
        monkeypatch.delenv(name, raising=False)


def spec_folder(root: Path) -> Path:
    folder = root / "project" / "specs"
    folder.mkdir(parents=True)
    (root / "project" / ".env").write_text("FLOW_DOTENV_SPEC=from-spec-folder\n")
    (folder / "spec.yaml").write_text("log_dir: logs\ntasks: []\n")
    return folder


def test_load_spec_loads_the_env_file_near_the_spec(
    fresh: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from inspect_flow.api import load_spec

    folder = spec_folder(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    load_spec(str(folder / "spec.yaml"))
    assert os.environ["FLOW_DOTENV_SPEC"] == "from-spec-folder"


def test_explicit_init_wins(fresh: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from inspect_flow.api import init, load_spec

    folder = spec_folder(tmp_path)
    init(dotenv_base_dir=None)
    load_spec(str(folder / "spec.yaml"))
    assert "FLOW_DOTENV_SPEC" not in os.environ


def test_a_step_called_from_python_loads_the_cwd_env_file(
    fresh: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_logs: LogFactory
) -> None:
    from inspect_flow.api import tag

    monkeypatch.setenv("FLOW_DOTENV_KEPT", "from-environment")
    (tmp_path / ".env").write_text("FLOW_DOTENV_CWD=from-cwd\nFLOW_DOTENV_KEPT=from-file\n")
    monkeypatch.chdir(tmp_path)
    logs = make_logs(tmp_path / "logs", n=1)
    assert tag([str(p) for p in logs], add=["x"])[0].tags == ["x"]
    assert os.environ["FLOW_DOTENV_CWD"] == "from-cwd"
    assert os.environ["FLOW_DOTENV_KEPT"] == "from-environment"  # never overridden


@pytest.mark.parametrize("level", ["trace", "http", "DEBUG", "notset", "critical"])
def test_init_accepts_every_cli_log_level(fresh: None, level: str) -> None:
    import logging

    from inspect_flow._runtime import LOG_LEVELS
    from inspect_flow.api import init

    previous = logging.getLogger().level
    try:
        init(log_level=level, dotenv_base_dir=None)
        assert logging.getLogger().level == LOG_LEVELS[level.lower()]
    finally:
        logging.getLogger().setLevel(previous)


def test_init_rejects_an_unknown_level_or_display(fresh: None) -> None:
    from inspect_flow.api import FlowUsageError, init

    with pytest.raises(FlowUsageError, match="Invalid log level 'loud'"):
        init(log_level="loud")
    with pytest.raises(FlowUsageError, match="Invalid display"):
        init(display="loud")


def test_cli_log_level_choices_are_the_runtime_table() -> None:
    from inspect_flow._cli.check import check_command
    from inspect_flow._runtime import LOG_LEVELS

    option = next(p for p in check_command.params if p.name == "log_level")
    assert list(option.type.choices) == list(LOG_LEVELS)  # type: ignore[attr-defined]
