"""Initialising Flow: the display, the log level and the nearest ``.env`` file, once per process.

The CLI initialises at start (``.env`` from the CWD, options from the command line). Library
calls that need it (a step called from Python, ``run_step``, ``check``, ``load_spec``) initialise
with the defaults if nothing has yet, as Flow 0.14 does: ``load_spec`` takes ``.env`` from the
spec file's folder, the others from the CWD. An explicit ``init()`` always wins.
"""

from __future__ import annotations

import logging
import os

_initialised = False


def init(
    log_level: str = "warning", display: str = "full", dotenv_base_dir: str | None = "."
) -> None:
    """Set up logging and the display (``display="none"`` silences all output), load ``.env``.

    Args:
        log_level: Python logging level name.
        display: One of full, conversation, rich, plain, log, none.
        dotenv_base_dir: Load the nearest ``.env`` at or above this folder (a file means its
            folder; a URL means the CWD); None skips it. Variables already set are kept.
    """
    from inspect_flow._output import set_display

    set_display(display)
    logging.getLogger().setLevel(log_level.upper() if log_level != "notset" else "NOTSET")
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


def _reset_for_tests() -> None:
    global _initialised
    _initialised = False
