"""Options shared by many commands (``--display``, ``--log-level``) and their application."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from inspect_flow import _output
from inspect_flow._runtime import LOG_LEVELS

F = TypeVar("F", bound=Callable[..., Any])


def display_options(func: F) -> F:
    """Add ``--display`` and ``--log-level`` (help texts as in Flow 0.14)."""
    func = click.option(
        "--log-level",
        type=click.Choice(tuple(LOG_LEVELS), case_sensitive=False),
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
    from inspect_flow._runtime import set_log_level

    _output.set_display(display)
    set_log_level(log_level)
