"""Exceptions → one line on stderr + an exit code (``inspect_flow._errors.ExitCode``), in one place.

0 ok · 1 failure (no logs, I/O, conflicts, partial failure) · 2 usage (bad option/value, unknown
step or filter, nonexistent PATH) · 3 ``check``/``run`` incomplete · 4 a broken ``_flow.py``, step
file, spec or user function (path and line shown) · 130 interrupted. Tracebacks are shown only with
``--log-level debug`` or ``INSPECT_FLOW_TRACEBACK=1``.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import traceback

import click

from inspect_flow._errors import (
    CommitInterrupted,
    ExitCode,
    FlowError,
    FlowUsageError,
    NoLogsError,
    PathNotFoundError,
    UserFileError,
    one_line,
)


def exit_code_for(exc: BaseException) -> int:
    """Return the exit code for an exception that escaped a command."""
    if isinstance(exc, KeyboardInterrupt):
        return ExitCode.INTERRUPTED
    if isinstance(exc, (click.UsageError, FlowUsageError, PathNotFoundError)):
        return ExitCode.USAGE
    if isinstance(exc, UserFileError):
        return ExitCode.USER_FILE
    return ExitCode.FAILURE


def message_for(exc: BaseException) -> str:
    """Return the one-line message for an exception."""
    if isinstance(exc, CommitInterrupted):
        return f"✗ Interrupted: {one_line(exc)}"
    if isinstance(exc, KeyboardInterrupt):
        return "✗ Interrupted"
    if isinstance(exc, NoLogsError):
        return f"✗ {one_line(exc)}"
    if isinstance(exc, click.UsageError):
        text = f"✗ Error: {' '.join(exc.format_message().split())}"
        if exc.ctx is not None and not isinstance(exc, click.exceptions.NoArgsIsHelpError):
            text += f" (see '{exc.ctx.command_path} --help')"
        return text
    if isinstance(exc, FlowError):
        return f"✗ Error: {_friendly(one_line(exc))}"
    # Not one of ours: say what it was in one line; the traceback is opt-in. An error that
    # escaped a step names the step and the line of its file that raised it.
    site = getattr(exc, "__flow_step_site__", None)
    prefix = f"{site}: " if isinstance(site, str) else ""
    return f"✗ Error: {prefix}{type(exc).__name__}: {one_line(exc)}"


def _friendly(text: str) -> str:
    """Show log locations as paths: ``file://`` dropped, relative when under the CWD.

    Plain absolute paths (the file of a broken ``_flow.py``, say) are left as they are.
    """
    cwd = os.getcwd().rstrip("/")
    if cwd:  # not "/": under the CWD, show the relative path (as display_path does)
        text = re.sub(rf"file://{re.escape(cwd)}/", "", text)
    return text.replace("file://", "")


def report(exc: BaseException) -> int:
    """Print ``exc`` as one line on stderr (a traceback too when asked); return its exit code."""
    if _want_traceback() and not isinstance(exc, (click.UsageError, KeyboardInterrupt)):
        traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
    click.echo(message_for(exc), err=True)
    return exit_code_for(exc)


def _want_traceback() -> bool:
    return os.environ.get("INSPECT_FLOW_TRACEBACK", "") not in ("", "0") or (
        logging.getLogger().getEffectiveLevel() <= logging.DEBUG
    )
