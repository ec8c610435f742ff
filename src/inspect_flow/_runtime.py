"""Initialising Flow: the display, the log level and the nearest ``.env`` file, once per process.

The CLI initialises at start (``.env`` from the CWD, options from the command line). Library
calls that need it (a step called from Python, ``run_step``, ``check``, ``load_spec``) initialise
with the defaults if nothing has yet, as Flow 0.14 does: ``load_spec`` takes ``.env`` from the
spec file's folder, the others from the CWD. An explicit ``init()`` always wins.

``LOG_LEVELS`` is the one table of log-level names: the CLI's ``--log-level`` choices, the levels
``init(log_level=...)`` accepts and the name a ``--venv`` child is given all come from it.

``bulk_gc`` is the one garbage-collection policy for runs over many logs: the CLI runs every step,
``flow check`` and ``flow list log`` inside it; a Python caller may use it around its own calls.
"""

from __future__ import annotations

import gc
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from inspect_flow._errors import FlowUsageError

LOG_LEVELS: dict[str, int] = {
    "debug": logging.DEBUG,
    "trace": 5,
    "http": 15,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
    "critical": logging.CRITICAL,
    "notset": logging.NOTSET,
}
"""Every log-level name Flow accepts (case-insensitive), as inspect_ai names them."""

_initialised = False

BULK_GC_THRESHOLD = 50_000
"""Generation-0 threshold inside ``bulk_gc`` (CPython's default is 700)."""
_bulk_depth = 0


@contextmanager
def bulk_gc(threshold: int = BULK_GC_THRESHOLD) -> Iterator[None]:
    """Run the block under the garbage-collection policy for runs over many logs.

    Every header read allocates thousands of small objects that live until the run ends, so with
    CPython's defaults the collector runs thousands of young collections and, as the heap grows,
    ever longer full ones, each walking every object of inspect_ai and pydantic again: the one
    cost that grows faster than the number of logs. Inside the block:

    - inspect_ai's log module (the heavy import of every step and check) is imported first, with
      collections deferred, and everything alive then is moved out of the collector's reach with
      ``gc.freeze()``: imported modules are never scanned again;
    - the generation-0 threshold is ``threshold`` instead of 700.

    Nothing else changes (collection still happens; cyclic garbage is still freed), so results are
    identical. On exit the previous thresholds are restored and the frozen objects are handed back
    to the collector (``gc.unfreeze()``). Nested blocks are the outer block's.

    Args:
        threshold: The generation-0 threshold during the block.
    """
    global _bulk_depth
    if _bulk_depth:
        yield
        return
    previous = gc.get_threshold()
    _bulk_depth += 1
    try:
        gc.set_threshold(threshold, max(previous[1], 20), max(previous[2], 20))
        import inspect_ai.log  # noqa: F401 - imported before freezing, so it is frozen

        gc.freeze()
        yield
    finally:
        _bulk_depth -= 1
        gc.unfreeze()
        gc.set_threshold(*previous)


def log_level_number(name: str) -> int:
    """Return the numeric level of a log-level name (case-insensitive).

    Raises:
        FlowUsageError: The name is not one of ``LOG_LEVELS``.

    """
    try:
        return LOG_LEVELS[name.lower()]
    except KeyError:
        raise FlowUsageError(
            f"Invalid log level {name!r}: expected one of {', '.join(LOG_LEVELS)}"
        ) from None


def log_level_name(number: int) -> str:
    """Return the name of the table's level closest at or below ``number`` (``warning`` default)."""
    best = "warning"
    best_number = -1
    for name, value in LOG_LEVELS.items():
        if value != logging.NOTSET and best_number < value <= number:
            best, best_number = name, value
    return best if number > logging.NOTSET else "notset"


def set_log_level(name: str) -> None:
    """Set the root logger's level by name and install Flow's stderr handler (once).

    The level is set every time (``logging.basicConfig`` does nothing once a handler exists, so a
    second command in one process would keep the old level).
    """
    root = logging.getLogger()
    root.setLevel(log_level_number(name))
    if not any(isinstance(h, _StderrHandler) for h in root.handlers):
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)


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


def init(
    log_level: str = "warning", display: str = "full", dotenv_base_dir: str | None = "."
) -> None:
    """Set up logging and the display (``display="none"`` silences all output), load ``.env``.

    Args:
        log_level: A log-level name: debug, trace, http, info, warning, error, critical or
            notset (case-insensitive), the same names ``--log-level`` accepts.
        display: One of full, conversation, rich, plain, log, none.
        dotenv_base_dir: Load the nearest ``.env`` at or above this folder (a file means its
            folder; a URL means the CWD); None skips it. Variables already set are kept.

    Raises:
        FlowUsageError: An unknown log level or display.

    """
    from inspect_flow._output import DISPLAY_TYPES, set_display

    log_level_number(log_level)  # validate before changing anything
    if display not in DISPLAY_TYPES:
        raise FlowUsageError(
            f"Invalid display {display!r}: expected one of {', '.join(DISPLAY_TYPES)}"
        )
    set_display(display)
    set_log_level(log_level)
    if dotenv_base_dir is not None:
        load_dotenv_near(dotenv_base_dir)
    mark_initialised()


def ensure_initialised(dotenv_base_dir: str = ".") -> None:
    """Initialise with the defaults unless ``init`` (or the CLI) already did."""
    if not _initialised:
        init(dotenv_base_dir=dotenv_base_dir)


def mark_initialised() -> None:
    """Record that Flow is initialised (the CLI sets display and logging from its options)."""
    global _initialised
    _initialised = True


def load_dotenv_near(base: str) -> None:
    """Load the nearest ``.env`` at or above ``base`` without overriding the environment."""
    try:
        from dotenv import find_dotenv, load_dotenv
    except ImportError:  # python-dotenv comes with inspect_ai; tolerate its absence
        return
    from inspect_flow._logs import has_scheme

    if has_scheme(base):
        base = "."
    elif os.path.isfile(base):
        base = os.path.dirname(os.path.abspath(base))
    previous = os.getcwd()
    try:
        os.chdir(base)
        path = find_dotenv(usecwd=True)
    finally:
        os.chdir(previous)
    if path:
        load_dotenv(path, override=False)
