"""The one place library code prints through.

Data (tables, lists, JSON, summaries) goes to stdout; progress, step-call lines, warnings and
errors go to stderr. ``--display none`` silences both;
``plain``/``log``/``none`` switch off colour and progress bars. Rich is imported lazily so
``flow --help`` stays fast.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from rich.console import Console, RenderableType
    from rich.progress import Progress
    from rich.spinner import Spinner

DisplayType = Literal["full", "conversation", "rich", "plain", "log", "none"]
DISPLAY_TYPES: tuple[str, ...] = ("full", "conversation", "rich", "plain", "log", "none")


@dataclass
class _State:
    display: str = os.environ.get("INSPECT_FLOW_DISPLAY", "full")
    out: Console | None = None
    err: Console | None = None
    panel: Actions | None = None  # the live actions panel, while one is on screen


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


def notice(level: str, text: str) -> None:
    """Print a notice on stderr: ``plain`` as is, ``info``/``warn``/``error`` with their icon."""
    if level == "info":
        info(text)
    elif level == "warn":
        warn(text)
    elif level == "error":
        error(text)
    else:
        err(text)


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def short_repr(value: object, limit: int = 60) -> str:
    """Return ``repr(value)`` shortened for a one-line display (the step-call line).

    Like ``repr`` (dict order kept), except that a string or other value whose repr is longer than
    ``limit`` keeps its start and end around ``...``, and a list or dict shows its first eight
    items then ``...``.
    """
    items = 8
    if isinstance(value, dict):
        shown = [f"{short_repr(k, limit)}: {short_repr(v, limit)}" for k, v in value.items()]
        more = ", ..." if len(shown) > items else ""
        return "{" + ", ".join(shown[:items]) + more + "}"
    if isinstance(value, list):
        shown = [short_repr(v, limit) for v in value[: items + 1]]
        more = ", ..." if len(shown) > items else ""
        return "[" + ", ".join(shown[:items]) + more + "]"
    text = repr(value)
    if len(text) <= limit:
        return text
    half = (limit - 3) // 2
    return text[:half] + "..." + text[-half:]


def print_renderable(renderable: object, *, stderr: bool = False) -> None:
    """Print a rich renderable (a table, a tree) to stdout, or stderr when asked."""
    _console(stderr=stderr).print(renderable)


def progress_enabled() -> bool:
    """Return True when progress bars should be drawn (an interactive stderr, a rich display)."""
    return not _plain() and _console(stderr=True).is_terminal


@contextmanager
def progress(description: str, total: int) -> Iterator[Callable[[], None]]:
    """Show a transient progress bar on stderr while the block runs.

    While an actions panel is live, the bar is drawn inside it (never a second live display).

    Yields:
        A callable to advance the bar by one. It is a no-op when progress is disabled (not a TTY,
        or a plain display), so callers never need to check.
    """
    panel = _STATE.panel
    if total <= 1 or not (panel or progress_enabled()):
        yield lambda: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=_console(stderr=True),
        transient=True,
        auto_refresh=panel is None,  # inside a panel, the panel's Live refreshes it
    )
    task = bar.add_task(description, total=total)
    if panel is None:
        with bar:
            yield lambda: bar.advance(task)
        return
    panel.bar = bar
    try:
        yield lambda: bar.advance(task)
    finally:
        panel.bar = None


ActionState = Literal["pending", "running", "done", "failed"]
_PLAIN_ICONS = {"running": "[..]", "done": "[OK]", "failed": "[ERROR]"}
_RICH_ICONS = {"pending": "[dim]·[/dim]", "done": "[green]✓[/green]", "failed": "[red]✗[/red]"}


@dataclass
class _Row:
    key: str
    label: str
    state: ActionState = "pending"
    info: str = ""
    spinner: Spinner | None = None


class Action:
    """One action of an ``Actions`` display, while it runs (see ``Actions.action``)."""

    def __init__(self, panel: Actions, row: _Row) -> None:
        """Wrap ``row`` of ``panel``."""
        self._panel = panel
        self._row = row

    def info(self, text: str) -> None:
        """Replace the info text shown next to the action's label."""
        self._row.info = text

    def done(self, info: str | None = None) -> None:
        """Mark the action done (✓ / ``[OK]``), optionally with a final info text."""
        self._panel._finish(self._row, "done", info)


class Actions:
    """A list of actions, each pending → running → done (✓) or failed (✗).

    Shown as a bordered panel on stderr (live on a terminal, printed once at the end otherwise),
    as flat ``[..] key info`` / ``[OK] key info`` / ``[ERROR] key error`` lines under
    ``--display plain|log``, and not at all under ``--display none``. Built by ``actions``.
    """

    def __init__(self, title: str, tag: str, steps: Sequence[tuple[str, str]], plain: bool):
        """Declare the actions (``(key, label)`` pairs, in display order)."""
        self.title = title
        self.tag = tag
        self.bar: Progress | None = None
        self._plain = plain
        self._rows = {key: _Row(key, label) for key, label in steps}

    @contextmanager
    def action(self, key: str, info: str = "") -> Iterator[Action]:
        """Run the block as action ``key``: done when it ends, failed if it raises (re-raised).

        Args:
            key: A key declared when the display was built.
            info: The info text shown while it runs (and after, unless ``done`` replaces it).
        """
        row = self._rows[key]
        row.state, row.info = "running", info
        self._line(row)
        try:
            yield Action(self, row)
        except BaseException as exc:
            self._finish(row, "failed", _failure(exc))
            raise
        if row.state == "running":
            self._finish(row, "done", None)

    @contextmanager
    def phase(self, key: str) -> Iterator[Callable[[str], None]]:
        """Run the block as action ``key``, yielding only its ``done(info)`` (for library code)."""
        with self.action(key) as act:
            yield act.done

    def _finish(self, row: _Row, state: ActionState, info: str | None) -> None:
        row.state = state
        if info is not None:
            row.info = info
        self._line(row)

    def _line(self, row: _Row) -> None:
        if self._plain:
            err(" ".join(part for part in (_PLAIN_ICONS[row.state], row.key, row.info) if part))

    def __rich__(self) -> RenderableType:
        """Render the panel: one row per action (icon, label, info), then any progress bar."""
        from rich.console import Group
        from rich.panel import Panel
        from rich.spinner import Spinner
        from rich.table import Table
        from rich.text import Text

        grid = Table.grid(padding=(0, 1))
        grid.add_column(width=1, no_wrap=True)
        grid.add_column(no_wrap=True)
        grid.add_column(style="dim")
        for row in self._rows.values():
            if row.state == "running":
                row.spinner = row.spinner or Spinner("dots", style="cyan")
                icon: RenderableType = row.spinner
            else:
                icon = Text.from_markup(_RICH_ICONS[row.state])
            info = Text(row.info, style="red" if row.state == "failed" else "")
            grid.add_row(icon, row.label, info)
        return Panel(
            grid if self.bar is None else Group(grid, self.bar),
            title=Text(self.title, style="bold"),
            title_align="left",
            subtitle=Text(f"[{self.tag}]", style="bold cyan"),
            subtitle_align="right",
        )


def _failure(exc: BaseException) -> str:
    from inspect_flow._errors import FlowError, one_line

    text = one_line(exc)
    return text if isinstance(exc, FlowError) else f"{type(exc).__name__}: {text}"


@contextmanager
def actions(title: str, tag: str, steps: Sequence[tuple[str, str]]) -> Iterator[Actions]:
    """Show a status display of ``steps`` on stderr while the block runs.

    ``--display full`` on a terminal: a live bordered panel (title, ``[TAG]``, a spinner, ✓ or ✗
    per action) left on screen at the end; progress bars are drawn inside it. ``full`` when stderr
    is not a terminal: the final panel, printed once at the end. ``plain``/``log``: the title,
    then one line per change of state. ``none``: nothing.

    Args:
        title: The panel's title (``Flow Spec: spec.py``).
        tag: The tag shown as ``[TAG]`` (``CHECK``).
        steps: ``(key, label)`` per action, in order (``("load", "Load config")``).

    Yields:
        The display; run each action in ``with display.action(key, info) as act:``.
    """
    panel = Actions(title, tag, steps, plain=_plain())
    if _STATE.display == "none" or _plain():
        err(title)
        yield panel
        return
    if _STATE.panel is not None or not progress_enabled():
        try:
            yield panel
        finally:
            _console(stderr=True).print(panel, soft_wrap=False)
        return
    from rich.live import Live

    # stdout is redirected above the panel only when it is a terminal too: piped data stays put.
    live = Live(
        panel,
        console=_console(stderr=True),
        refresh_per_second=10,
        redirect_stdout=sys.stdout.isatty(),
    )
    with live:
        _STATE.panel = panel
        try:
            yield panel
        finally:
            _STATE.panel = None
