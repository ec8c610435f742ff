"""Exception types raised by the library.

The library raises these; only ``inspect_flow._cli.errors`` maps them to messages and exit codes.
"""

from __future__ import annotations

import enum
from typing import Any


class ExitCode(enum.IntEnum):
    """The exit codes of ``flow`` (the one table; ``inspect_flow._cli.errors`` maps errors to them).

    OK: success. FAILURE: no logs, I/O errors, conflicts, a partial failure, unreadable logs.
    USAGE: a bad option or value, an unknown step or filter, a nonexistent PATH. INCOMPLETE:
    ``check``/``run`` found an incomplete task. USER_FILE: a broken ``_flow.py``, step file, spec
    or user function (its path and line shown). INTERRUPTED: Ctrl-C.
    """

    OK = 0
    FAILURE = 1
    USAGE = 2
    INCOMPLETE = 3
    USER_FILE = 4
    INTERRUPTED = 130


class FlowError(Exception):
    """Base class of every error the library raises on purpose (a one-line message)."""


class FlowUsageError(FlowError, ValueError):
    """The user asked for something invalid: a bad option value, an unknown step or filter.

    Subclasses ``ValueError`` so Python callers that expect the reference's ``ValueError``
    (e.g. for ``tag`` with nothing to add) keep working.
    """


class NoLogsError(FlowError):
    """No logs were selected (nothing found, or everything filtered away)."""

    def __init__(self, message: str = "No logs found") -> None:
        super().__init__(message)


class PathNotFoundError(FlowError, FileNotFoundError):
    """A PATH given by the user does not exist."""


class PathUnreadableError(FlowError, PermissionError):
    """A PATH given by the user exists but cannot be read (permissions)."""


class UserFileError(FlowError):
    """A user Python file (``_flow.py``, a step file, a spec) or user function failed.

    The message reads ``Error loading <file>:<line>: <what>`` when the file failed while it was
    loaded, ``Error in <file>:<line>: <what>`` when Flow called user code later (a step or
    log filter that called ``sys.exit``).

    Attributes:
        path: The file that failed.
        line: The line in that file where it failed, when known.
    """

    def __init__(
        self, path: str, line: int | None, message: str, during: str | None = "loading"
    ) -> None:
        self.path = path
        self.line = line
        where = f"{path}:{line}" if line else path
        super().__init__(f"Error {during or 'in'} {where}: {message}")


class WriteConflictError(FlowError):
    """A log changed on storage since it was read (someone else wrote it)."""


class LogVanishedError(FlowError):
    """A log that was read no longer exists when it is written; it is never re-created."""


class _BatchOutcomes(BaseException):
    """An error that carries what happened to each write of a batch.

    Attributes:
        outcomes: What happened to each write of the batch (``Outcome`` values).
        report: The StepReport of the run, attached by ``run_step``.
    """

    def __init__(self, message: str, outcomes: list[Any] | None = None) -> None:
        super().__init__(message)
        self.outcomes = outcomes or []
        self.report: Any = None


class CommitError(_BatchOutcomes, FlowError):
    """Some dirty logs could not be written; nothing of the batch was left half-applied.

    Attributes:
        outcomes: What happened to each write of the batch (``Outcome`` values).
    """


class CommitInterrupted(_BatchOutcomes, KeyboardInterrupt):
    """Ctrl+C arrived while a batch was written; the batch was rolled back (or had finished).

    A ``KeyboardInterrupt`` (exit 130), with what happened to each write of the batch.

    Attributes:
        outcomes: What happened to each write of the batch (``Outcome`` values).
    """


class InvalidHeaderError(FlowError):
    """A step produced a header that must not be written (invalid, or another log's identity)."""


class StoreUnavailableError(FlowError):
    """The Flow Store is not available (missing, or unreachable)."""


class StoreNotFoundError(StoreUnavailableError, ValueError):
    """No store exists at the location asked for (and it was not to be created).

    Subclasses ``ValueError``, which Flow 0.14's ``store_get(create=False)`` raises.
    """


class StoreVersionError(FlowError, ValueError):
    """The store's table was written by a newer, incompatible version of Flow."""


def one_line(exc: BaseException, **_: Any) -> str:
    """Render an exception as a single line (no traceback)."""
    text = str(exc).strip() or type(exc).__name__
    return " ".join(text.splitlines())


class StepOptionError(FlowUsageError):
    """A step was given options that cannot work together (checked before any log is read).

    The message is the Python API's (parameter names, as Flow 0.14 words it); ``cli_message``
    says the same with the command-line options to fix (``--add``, ``--remove``).

    Attributes:
        cli_message: The message naming command-line options.
        step: The step whose options are wrong (set when the check runs).
    """

    def __init__(self, message: str, cli_message: str) -> None:
        super().__init__(message)
        self.cli_message = cli_message
        self.step: str | None = None
