"""Rendering a ``CheckResult``: the task table, the log sections, the summary, and JSON.

The status panel (``Load config``, ``Set up environment``, ...) is drawn by ``inspect_flow._output``
from the phases ``check`` reports; this module draws what comes after it, on stdout.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from inspect_flow._check import CheckResult


def check_summary(result: CheckResult) -> str:
    """Return the summary line (``Check: 1/3 tasks complete (2 logs incomplete)``)."""
    total = len(result.tasks)
    complete = sum(1 for t in result.tasks if t.complete)
    line = f"Check: {complete}/{total} task{'s' if total != 1 else ''} complete"
    if complete == total:
        return line
    partial = sum(1 for t in result.tasks if not t.complete and t.log_file)
    missing = sum(1 for t in result.tasks if not t.complete and not t.log_file)
    parts = []
    if partial:
        parts.append(f"{partial} log{'s' if partial != 1 else ''} incomplete")
    if missing:
        parts.append(f"{missing} task{'s' if missing != 1 else ''} with no log")
    return f"{line} ({', '.join(parts)})"


def render_json(result: CheckResult) -> None:
    """Print the result as JSON (``CheckResult.to_json``) on stdout."""
    from inspect_flow._cli.output import print_json

    print_json(result.to_json())


def render_text(result: CheckResult, summary: str | None = None, *, reasons: bool = True) -> None:
    """Print the task table, the log sections, the summary and the log dir (stdout).

    Args:
        result: The check result.
        summary: The summary line (default: ``check_summary``; ``flow run`` has its own).
        reasons: List the incomplete tasks and why (``flow run``'s pre-run table does not).

    """
    from inspect_flow import _output
    from inspect_flow._logs import display_path

    if result.tasks:
        _output.print_renderable(_table(result))
        _output.out()
    sections = [
        ("[blue]ℹ[/blue] Duplicate logs:", [d for t in result.tasks for d in t.duplicate_logs]),
        ("[yellow]⚠[/yellow] Unexpected logs:", result.unrecognized),
        ("[blue]ℹ[/blue] Filtered-out logs:", [f for t in result.tasks for f in t.filtered_logs]),
    ]
    for heading, locations in sections:
        if locations:
            _output.out(heading, markup=True)
            for location in locations:
                _output.out(display_path(location))
            _output.out()
    if result.unreadable:
        _output.out("[red]✗[/red] Unreadable logs:", markup=True)
        for location, reason in result.unreadable.items():
            _output.out(f"{display_path(location)}: {reason}")
        _output.out()
    incomplete = [t for t in result.tasks if not t.complete]
    if incomplete and reasons:
        _output.out("[yellow]⚠[/yellow] Incomplete tasks:", markup=True)
        for task in incomplete:
            label = f"{task.name} ({task.differentiator})" if task.differentiator else task.name
            _output.out(f"{label}: {task.reason}")
        _output.out()
    _output.out(f"[bold]{summary or check_summary(result)}[/bold]", markup=True)
    _output.out(f"Log dir: {display_path(result.log_dir)}")


def _table(result: CheckResult) -> Any:
    """Build the task table, fitted to the terminal width (80 columns when not a terminal).

    Task and Samples keep their full width; the log path gives way first (shortened on the left,
    so the file name stays), then Tags, the qualifier and, last, Task (which then wraps).
    """
    from rich.table import Table

    from inspect_flow._logs import display_path

    tasks = result.tasks
    columns: list[tuple[str, list[str]]] = [("Task", [t.name for t in tasks])]
    if result.qualifier_header:
        columns.append((result.qualifier_header, [t.differentiator for t in tasks]))
    if any(t.log_file for t in tasks):
        logs = [display_path(t.log_file) if t.log_file else "" for t in tasks]
        columns.append(("Existing Log File", logs))
    samples = [
        f"{t.samples}/{t.total_samples}" if t.total_samples is not None else "" for t in tasks
    ]
    columns.append(("Existing\nSamples", samples))
    if any(t.tags for t in tasks):
        columns.append(("Tags", [", ".join(t.tags) for t in tasks]))
    widths = _fit([(h, max(len(v) for v in [*h.split("\n"), *values])) for h, values in columns])
    table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold", expand=False)
    for (header, _), width in zip(columns, widths, strict=False):
        right = header.startswith("Existing\n")
        table.add_column(
            header,
            width=width,
            no_wrap=header == "Existing Log File" or right,
            overflow="fold",
            justify="right" if right else "left",
        )
    table.add_row()
    for row in zip(*(values for _, values in columns), strict=False):
        table.add_row(*(_left_cut(value, width) for value, width in zip(row, widths, strict=False)))
    return table


def _fit(columns: list[tuple[str, int]]) -> list[int]:
    """Shrink column widths to the console width, in the order described in ``_table``."""
    from rich.console import Console

    available = Console(file=sys.stdout).width - 2 * (len(columns) - 1)
    widths = {header: width for header, width in columns}
    floors = [
        ("Existing Log File", 16),
        ("Tags", 6),
        ("Model", 12),
        ("Differentiator", 12),
        ("Task", 12),
    ]
    for header, floor in floors:
        excess = sum(widths.values()) - available
        if excess <= 0:
            break
        if header in widths and widths[header] > floor:
            widths[header] = max(floor, widths[header] - excess)
    return [widths[header] for header, _ in columns]


def _left_cut(value: str, width: int) -> str:
    """Shorten a log path from the left (``…/name.eval``); other values are left to wrap."""
    if len(value) <= width or "/" not in value and not value.endswith((".eval", ".json")):
        return value
    return "…" + value[len(value) - width + 1 :]
