"""Options shared by many commands (``--display``, ``--log-level``) and their application."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from inspect_flow import _output

F = TypeVar("F", bound=Callable[..., Any])

LOG_LEVELS = ("debug", "trace", "http", "info", "warning", "error", "critical", "notset")


def display_options(func: F) -> F:
    """Add ``--display`` and ``--log-level`` (help texts as in Flow 0.14)."""
    func = click.option(
        "--log-level",
        type=click.Choice(LOG_LEVELS, case_sensitive=False),
        default="warning",
        envvar="INSPECT_FLOW_LOG_LEVEL",
        help="Set the log level (defaults to `'warning'`).",
    )(func)
    func = click.option(
        "--display",
        type=click.Choice(_output.DISPLAY_TYPES),
        default="full",
        envvar="INSPECT_FLOW_DISPLAY",
        help="Set the display mode (defaults to `'full'`).",
    )(func)
    return func


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A log handler writing to whatever ``sys.stderr`` is *now* (not the one at creation).

    ``logging.basicConfig`` would bind the stream once; a later swap of ``sys.stderr`` (CliRunner,
    pytest capture, an embedding application) would then send records to a closed file.
    """

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass  # always the current sys.stderr


def apply_display_options(display: str, log_level: str) -> None:
    """Apply ``--display`` and ``--log-level`` before a command does its work.

    Sets the root logger's level every time (``logging.basicConfig`` does nothing once a handler
    exists, so a second command in one process, or one under pytest, would keep the old level) and
    installs one stderr handler the first time.
    """
    _output.set_display(display)
    level = log_level.lower()
    numeric = {"trace": 5, "http": 15, "notset": logging.NOTSET}.get(level)
    root = logging.getLogger()
    root.setLevel(numeric if numeric is not None else getattr(logging, level.upper()))
    if not any(isinstance(h, _StderrHandler) for h in root.handlers):
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
