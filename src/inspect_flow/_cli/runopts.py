"""The options of ``flow run`` that ``flow config`` also takes (to show the spec a run would use).

Each is defined once here; ``run_option(name)`` adds it to a command, and with ``as_for_run`` its
help says it acts as for ``flow run``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

# name -> (click.option arguments, keyword arguments); help texts are ``flow run``'s
_OPTIONS: dict[str, tuple[tuple[str, ...], dict[str, Any]]] = {
    "log_dir_allow_dirty": (
        ("--log-dir-allow-dirty",),
        {
            "is_flag": True,
            "default": None,
            "help": "Allow logs of other tasks in the log directory.",
        },
    ),
    "venv": (
        ("--venv",),
        {
            "is_flag": True,
            "envvar": "INSPECT_FLOW_VENV",
            "help": "Resolve tasks in a virtual environment (execution_type: venv).",
        },
    ),
    "log_dir_create_unique": (
        ("--log-dir-create-unique/--no-log-dir-create-unique",),
        {"default": None, "help": "Run in a new timestamped subdirectory of the log directory."},
    ),
    "store_write": (
        ("--store-write/--no-store-write",),
        {"default": None, "help": "Index the completed logs in the store (default: on)."},
    ),
    "store_read": (
        ("--store-read/--no-store-read",),
        {
            "default": None,
            "help": "Copy the best matching log of each task from the store (default: off).",
        },
    ),
    "store_filter": (
        ("--store-filter", "store_filter"),
        {
            "multiple": True,
            "help": "Log filter a store log must pass to be reused. Can be repeated.",
        },
    ),
    "store": (
        ("--store",),
        {
            "default": None,
            "envvar": "INSPECT_FLOW_STORE",
            "help": "The store: `auto` (the default store), `none`, or a path (relative to the "
            "CWD).",
        },
    ),
}


def run_option(name: str, *, as_for_run: bool = False, help: str | None = None) -> Callable[[F], F]:
    """Return the decorator adding ``flow run``'s option ``name`` to a command.

    Args:
        name: The option's parameter name (``store``, ``store_read``, ``log_dir_allow_dirty``...).
        as_for_run: Start the help with "As for flow run:" (for ``flow config``).
        help: Replace the help text.

    """
    args, kwargs = _OPTIONS[name]
    text = help or str(kwargs["help"])
    if as_for_run:
        text = f"As for flow run: {text[0].lower()}{text[1:]}"
    return click.option(*args, **{**kwargs, "help": text})
