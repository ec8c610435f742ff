"""``flow check``: parse, call the library once, render."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from inspect_flow._cli.common import apply_display_options, display_options

if TYPE_CHECKING:
    from inspect_flow._check import CheckResult
    from inspect_flow._spec.models import FlowSpec

F = TypeVar("F", bound=Callable[..., Any])
EXIT_INCOMPLETE = 3
CHECK_ACTIONS = (
    ("load", "Load config"),
    ("env", "Set up environment"),
    ("instantiate", "Instantiate tasks"),
    ("logs", "Check for existing logs"),
)


def spec_options(func: F) -> F:
    """Add the options ``check`` and ``config`` share (order as in Flow 0.14's help)."""
    return spec_options_with(
        "Expected samples per task (same as --set options.limit=N).",
        "Log directory to check instead of the spec's (relative to the CWD; s3:// works).",
    )(func)


def spec_options_with(limit_help: str, log_dir_help: str) -> Callable[[F], F]:
    """Return a decorator adding the spec options with these ``--limit``/``--log-dir`` helps."""
    return lambda func: _add_spec_options(func, limit_help, log_dir_help)


def _add_spec_options(func: F, limit_help: str, log_dir_help: str) -> F:
    options = [
        click.option(
            "--limit",
            type=int,
            default=None,
            envvar="INSPECT_FLOW_LIMIT",
            help=limit_help,
        ),
        click.option(
            "--log-dir",
            metavar="DIRECTORY",
            default=None,
            envvar="INSPECT_FLOW_LOG_DIR",
            help=log_dir_help,
        ),
        click.option(
            "-A",
            "--arg",
            "args",
            multiple=True,
            envvar="INSPECT_FLOW_ARG",
            help="key=value argument for a spec that ends in a function, e.g. "
            "--arg task_min_priority=2. Can be repeated.",
        ),
        click.option(
            "-s",
            "--set",
            "sets",
            multiple=True,
            envvar="INSPECT_FLOW_SET",
            help="Override a spec field by dot path, e.g. --set options.limit=10 or "
            '--set options.metadata={"key1": "val1"}. JSON values; a plain value is '
            "appended to a list. Can be repeated.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def load_spec_from_cli(
    config_file: str,
    args: tuple[str, ...],
    sets: tuple[str, ...],
    limit: int | None,
    log_dir: str | None,
) -> FlowSpec:
    """Load a spec file with the shared options (``-A``, ``-s``, ``--limit``, ``--log-dir``)."""
    from inspect_flow._spec.load import load_spec_file
    from inspect_flow._spec.overrides import parse_assignments

    return load_spec_file(
        config_file,
        args=dict(parse_assignments(args, "--arg")),
        sets=parse_assignments(sets, "--set"),
        limit=limit,
        log_dir=log_dir,
    )


@click.command("check")
@click.argument("config_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON on stdout.")
@click.option(
    "--venv",
    is_flag=True,
    envvar="INSPECT_FLOW_VENV",
    help="Resolve tasks in a temporary virtual environment holding the spec's dependencies.",
)
@spec_options
@click.option(
    "--filter",
    "filters",
    multiple=True,
    help="Log filter: only logs that pass count. A registered name, `file.py@name`, or a "
    "name from `_flow.py`. Can be repeated (all must pass).",
)
@click.option(
    "--exclude",
    "excludes",
    multiple=True,
    help="Log filter: logs that pass do not count. Can be repeated.",
)
@display_options
@click.pass_context
def check_command(
    ctx: click.Context,
    config_file: str,
    as_json: bool,
    venv: bool,
    limit: int | None,
    log_dir: str | None,
    args: tuple[str, ...],
    sets: tuple[str, ...],
    filters: tuple[str, ...],
    excludes: tuple[str, ...],
    display: str,
    log_level: str,
) -> None:
    """Check a spec against existing logs (searches log directory recursively)."""
    from inspect_flow import _output
    from inspect_flow._check import check
    from inspect_flow._errors import FlowError
    from inspect_flow._logs import display_path, normalize

    apply_display_options(display, log_level)
    # In --json mode stdout carries the JSON only: anything else printed goes to stderr.
    quiet = contextlib.redirect_stdout(sys.stderr) if as_json else contextlib.nullcontext()
    spec_path = display_path(normalize(config_file))
    # The status display goes to stderr; the table and summary below go to stdout.
    with quiet, _output.actions(f"Flow Spec: {spec_path}", "CHECK", CHECK_ACTIONS) as status:
        with status.action("load", spec_path) as action:
            spec = load_spec_from_cli(config_file, args, sets, limit, log_dir)
            count = len(spec.tasks or [])
            action.done(f"Loaded {count} task{'s' if count != 1 else ''}")
        if venv:
            spec.execution_type = "venv"
        if spec.execution_type != "venv":  # check() reports the set-up of a venv itself
            with status.action("env", "inproc"):
                pass  # tasks are resolved in this process
        result = check(
            spec,
            filter=list(filters) or None,
            exclude=list(excludes) or None,
            phase=status.phase,
        )
    if as_json:
        render_json(result)
    else:
        render_text(result)
    if not result.is_complete:
        ctx.exit(EXIT_INCOMPLETE)
    if result.unreadable:
        count = len(result.unreadable)
        raise FlowError(f"{count} log{'s' if count != 1 else ''} could not be read (see above)")


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
    """Print the result as JSON (Flow 0.14's shape plus ``reason``, ``filtered_logs`` and more)."""
    from inspect_flow._cli.output import print_json
    from inspect_flow._logs import is_local, local_path

    complete = sum(1 for t in result.tasks if t.complete)
    log_dir = result.log_dir
    print_json(
        {
            "log_dir": local_path(log_dir) if is_local(log_dir) else log_dir,
            "tasks": [
                {
                    "name": t.name,
                    "model": t.model,
                    "differentiator": t.differentiator,
                    "log_file": t.log_file,
                    "samples": t.samples,
                    "total_samples": t.total_samples,
                    "complete": t.complete,
                    "reason": t.reason,
                    "duplicate_logs": t.duplicate_logs,
                    "filtered_logs": t.filtered_logs,
                    "tags": t.tags,
                }
                for t in result.tasks
            ],
            "unrecognized": result.unrecognized,
            "unreadable": [{"log": k, "error": v} for k, v in result.unreadable.items()],
            "summary": {
                "total": len(result.tasks),
                "complete": complete,
                "incomplete": len(result.tasks) - complete,
            },
        }
    )


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
