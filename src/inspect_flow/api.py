"""The Python API: run steps, the built-in steps, reports (mirrors the ``flow`` CLI)."""

from __future__ import annotations

from inspect_flow._check import CheckResult, CheckTask, check
from inspect_flow._errors import (
    CommitError,
    FlowError,
    FlowUsageError,
    LogVanishedError,
    NoLogsError,
    PathNotFoundError,
    WriteConflictError,
)
from inspect_flow._output import set_display
from inspect_flow._spec import load_spec
from inspect_flow._steps.builtins import copy, metadata, tag
from inspect_flow._steps.report import LogReport, StepReport
from inspect_flow._steps.run import run_step
from inspect_flow._steps.step import StepResult

__all__ = [
    "CheckResult",
    "CheckTask",
    "CommitError",
    "FlowError",
    "FlowUsageError",
    "LogReport",
    "LogVanishedError",
    "NoLogsError",
    "PathNotFoundError",
    "StepReport",
    "StepResult",
    "WriteConflictError",
    "check",
    "copy",
    "init",
    "load_spec",
    "metadata",
    "run_step",
    "tag",
]


def init(log_level: str = "warning", display: str = "full", dotenv_base_dir: str | None = ".") -> None:
    """Set up logging and the display (``display="none"`` silences all output).

    Args:
        log_level: Python logging level name.
        display: One of full, conversation, rich, plain, log, none.
        dotenv_base_dir: Directory whose nearest ``.env`` is loaded (None skips it).
    """
    import logging

    set_display(display)
    logging.getLogger().setLevel(log_level.upper() if log_level != "notset" else "NOTSET")
    if dotenv_base_dir is not None:
        try:
            from dotenv import find_dotenv, load_dotenv
        except ImportError:  # python-dotenv comes with inspect_ai; tolerate its absence
            return
        import os

        previous = os.getcwd()
        try:
            os.chdir(dotenv_base_dir)
            load_dotenv(find_dotenv(usecwd=True))
        finally:
            os.chdir(previous)
