"""The one place library code prints through.

Data (tables, lists, JSON, summaries) goes to stdout; progress, step-call lines, warnings and
errors go to stderr (DESIGN §3 item 16). ``--display none`` silences both;
``plain``/``log``/``none`` switch off colour and progress bars. Rich is imported lazily so
``flow --help`` stays fast.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from rich.console import Console

DisplayType = Literal["full", "conversation", "rich", "plain", "log", "none"]
DISPLAY_TYPES: tuple[str, ...] = ("full", "conversation", "rich", "plain", "log", "none")


@dataclass
class _State:
    display: str = os.environ.get("INSPECT_FLOW_DISPLAY", "full")
    out: Console | None = None
    err: Console | None = None


_STATE = _State()


def set_display(display: str) -> None:
    """Set the display mode (one of ``DISPLAY_TYPES``) and reset the consoles."""
    _STATE.display = display
    _STATE.out = None
    _STATE.err = None


def display() -> str:
    """Return the current display mode."""
    return _STATE.display


def _plain() -> bool:
    return _STATE.display in ("plain", "log", "none")


def _console(stderr: bool) -> Console:
    from rich.console import Console

    current = _STATE.err if stderr else _STATE.out
    # Consoles are rebuilt when sys.stdout/sys.stderr are swapped (CliRunner, pytest capture).
    stream = sys.stderr if stderr else sys.stdout
    if current is None or current.file is not stream:
        current = Console(
            file=stream,
            quiet=_STATE.display == "none",
            no_color=_plain(),
            highlight=False,
            soft_wrap=True,
        )
        if stderr:
            _STATE.err = current
        else:
            _STATE.out = current
    return current


def out(text: str = "", *, markup: bool = False) -> None:
    """Print data to stdout (silenced by ``--display none``)."""
    _console(stderr=False).print(text, markup=markup)


def err(text: str = "", *, markup: bool = False) -> None:
    """Print a progress or status line to stderr (silenced by ``--display none``)."""
    _console(stderr=True).print(text, markup=markup)


def warn(text: str) -> None:
    """Print a warning (``⚠``) to stderr."""
    _console(stderr=True).print(f"[yellow]⚠[/yellow] {_escape(text)}")


def error(text: str) -> None:
    """Print an error (``✗``) to stderr."""
    _console(stderr=True).print(f"[red]✗[/red] {_escape(text)}")


def success(text: str, *, to_stdout: bool = False) -> None:
    """Print a success line (``✓``)."""
    _console(stderr=not to_stdout).print(f"[green]✓[/green] {_escape(text)}")


def info(text: str, *, to_stdout: bool = False) -> None:
    """Print an info line (``ℹ``)."""
    _console(stderr=not to_stdout).print(f"[blue]ℹ[/blue] {_escape(text)}")


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def print_renderable(renderable: object, *, stderr: bool = False) -> None:
    """Print a rich renderable (a table, a tree) to stdout, or stderr when asked."""
    _console(stderr=stderr).print(renderable)


def progress_enabled() -> bool:
    """Return True when progress bars should be drawn (an interactive stderr, a rich display)."""
    return not _plain() and _console(stderr=True).is_terminal


@contextmanager
def progress(description: str, total: int) -> Iterator[Callable[[], None]]:
    """Show a transient progress bar on stderr while the block runs.

    Yields:
        A callable to advance the bar by one. It is a no-op when progress is disabled (not a TTY,
        or a plain display), so callers never need to check.
    """
    if total <= 1 or not progress_enabled():
        yield lambda: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=_console(stderr=True),
        transient=True,
    )
    with bar:
        task = bar.add_task(description, total=total)
        yield lambda: bar.advance(task)
