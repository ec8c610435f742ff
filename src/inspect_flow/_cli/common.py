"""Options shared by many commands (``--display``, ``--log-level``) and their application."""

from __future__ import annotations

import logging
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


def apply_display_options(display: str, log_level: str) -> None:
    """Apply ``--display`` and ``--log-level`` before a command does its work."""
    _output.set_display(display)
    level = log_level.lower()
    numeric = {"trace": 5, "http": 15, "notset": logging.NOTSET}.get(level)
    logging.basicConfig(
        level=numeric if numeric is not None else getattr(logging, level.upper(), logging.WARNING),
        format="%(levelname)s %(name)s: %(message)s",
    )
