"""``flow list log``: parse, call ``list_entries`` once (per refresh with ``--live``), render."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import time
from typing import Any

import click

from inspect_flow._cli.common import apply_display_options, display_options

LOG_HELP = (
    "List logs, sorted by timestamp extracted from log file name. If PATH is not provided, falls "
    "back to the default store (--store auto). With --json, display-only options (--format, "
    "--oneline, --provenance, --live, --no-page) are ignored."
)
_SHORT_COUNT = re.compile(r"^-(\d+)$")
STATUSES = ("success", "error", "cancelled", "started")


class _LogCommand(click.Command):
    """``-N`` (``-2``) is ``--max-count=N``, as with ``git log``."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        rewritten = []
        for index, arg in enumerate(args):
            if arg == "--":
                rewritten.extend(args[index:])
                break
            match = _SHORT_COUNT.match(arg)
            rewritten.append(f"--max-count={match.group(1)}" if match else arg)
        return super().parse_args(ctx, rewritten)


def _date(ctx: click.Context, param: click.Parameter, value: str | None) -> Any:
    """Parse ``--since``/``--until`` when given (a bad date is a usage error)."""
    if value is None:
        return None
    from inspect_flow._errors import FlowUsageError
    from inspect_flow._list.order import parse_date

    try:
        return parse_date(value)
    except FlowUsageError as exc:
        raise click.BadParameter(str(exc), ctx=ctx, param=param) from exc


def _at_least(minimum: int) -> Any:
    """Return a callback refusing integers below ``minimum`` (help still shows ``INTEGER``)."""

    def check(ctx: click.Context, param: click.Parameter, value: int | None) -> int | None:
        if value is not None and value < minimum:
            raise click.BadParameter(f"{value} is smaller than {minimum}.", ctx=ctx, param=param)
        return value

    return check


@click.group("list")
def list_group() -> None:
    """CLI command to list flow entities."""


@list_group.command("log", cls=_LogCommand, help=LOG_HELP)
@click.argument("path", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the logs as JSON on stdout.")
@click.option(
    "--store",
    default="auto",
    envvar="INSPECT_FLOW_STORE",
    help="The store listed when there is no PATH (default: the default store).",
)
@display_options
@click.option(
    "--exclude",
    "excludes",
    multiple=True,
    envvar="INSPECT_FLOW_STORE_EXCLUDE",
    help="Log filter: leave out logs that pass. A registered name, `file.py@name`, or a name "
    "from `_flow.py`. Can be repeated.",
)
@click.option(
    "--filter",
    "filters",
    multiple=True,
    envvar="INSPECT_FLOW_STORE_FILTER",
    help="Log filter: list only logs that pass. Can be repeated (all must pass).",
)
@click.option(
    "--format",
    "layout",
    type=click.Choice(["table", "tree"]),
    default="table",
    help="Layout: a flat list (table) or a tree of folders (tree).",
)
@click.option("--oneline", is_flag=True, help="One compact row per log.")
@click.option("--provenance", is_flag=True, help="Show each edit: what, who, when and why.")
@click.option("--no-page", is_flag=True, help="Never page the output.")
@click.option(
    "-n",
    "--max-count",
    type=int,
    default=None,
    callback=_at_least(0),
    help="List at most this many logs (-N works too, e.g. -5).",
)
@click.option(
    "--task", "tasks", multiple=True, metavar="PATTERN", help="Task name glob. Can be repeated."
)
@click.option(
    "--model", "models", multiple=True, metavar="PATTERN", help="Model glob. Can be repeated."
)
@click.option(
    "--tag", "tags", multiple=True, metavar="PATTERN", help="Current tag glob. Can be repeated."
)
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice(STATUSES),
    help="Log status. Can be repeated.",
)
@click.option(
    "--live",
    type=int,
    callback=_at_least(1),
    is_flag=False,
    flag_value=10,
    default=None,
    help="Refresh the listing every N seconds (10 when no N is given) until Ctrl-C.",
)
@click.option(
    "--since", "--after", "since", metavar="DATE", callback=_date, help="Logs from DATE on."
)
@click.option(
    "--until", "--before", "until", metavar="DATE", callback=_date, help="Logs up to DATE."
)
def log_command(
    path: str | None,
    as_json: bool,
    store: str,
    display: str,
    log_level: str,
    excludes: tuple[str, ...],
    filters: tuple[str, ...],
    layout: str,
    oneline: bool,
    provenance: bool,
    no_page: bool,
    max_count: int | None,
    tasks: tuple[str, ...],
    models: tuple[str, ...],
    tags: tuple[str, ...],
    statuses: tuple[str, ...],
    live: int | None,
    since: Any,
    until: Any,
) -> None:
    from inspect_flow import _output
    from inspect_flow._errors import FlowError
    from inspect_flow._list import Listing, list_entries
    from inspect_flow._runtime import bulk_gc

    apply_display_options(display, log_level)

    def listing() -> Listing:
        with bulk_gc():  # many headers read and kept: the policy of runs over many logs
            return list_entries(
                path,
                store=store,
                since=since,
                until=until,
                task=tasks,
                model=models,
                tag=tags,
                status=statuses,
                filter=list(filters) or None,
                exclude=list(excludes) or None,
                max_count=max_count,
            )

    if as_json:
        from inspect_flow._cli.output import print_json
        from inspect_flow._cli.render.list import to_json

        result = listing()
        print_json(to_json(result))
    elif live is not None:
        _live(listing, live, layout, oneline, provenance)
        return
    else:
        result = listing()
        text = _render(result, layout, oneline, provenance, _width())
        if not result.entries:
            _output.err("No logs found")
        elif _output.display() != "none":
            _emit(text, no_page)
        if result.missing:
            count = len(result.missing)
            one = count == 1
            _output.warn(
                f"{count} store log{'' if one else 's'} no longer exist{'s' if one else ''} "
                f"(listed above); `flow store remove --missing` drops {'it' if one else 'them'} "
                "from the store"
            )
    if result.unreadable:
        count = len(result.unreadable)
        raise FlowError(f"{count} log{'s' if count != 1 else ''} could not be read (listed above)")


def _render(result: Any, layout: str, oneline: bool, provenance: bool, width: int) -> str:
    from inspect_flow import _output
    from inspect_flow._cli.render import list as render

    # colours only on a terminal, with a rich display, unless NO_COLOR is set
    colour = (
        sys.stdout.isatty()
        and _output.display() not in ("plain", "log", "none")
        and not os.environ.get("NO_COLOR")
    )
    if layout == "tree":
        lines = render.tree(result, width, provenance, colour)
    elif oneline:
        lines = render.oneline(result, width, provenance, colour)
    else:
        lines = render.multiline(result, provenance, colour)
    return "\n".join(lines)


def _width() -> int:
    from rich.console import Console

    return Console(file=sys.stdout).width


def should_page(text: str, *, is_tty: bool, width: int, height: int, no_page: bool) -> bool:
    """Page only on a terminal, unless ``--no-page``, when the text is taller than the screen."""
    if no_page or not is_tty:
        return False
    rows = sum(max(1, -(-len(line) // max(width, 1))) for line in text.split("\n"))
    return rows > height


def _emit(text: str, no_page: bool) -> None:
    from rich.console import Console

    console = Console(file=sys.stdout)
    tty = sys.stdout.isatty()
    size = console.size
    if should_page(text, is_tty=tty, width=size.width, height=size.height, no_page=no_page):
        if _page(text):
            return
    click.echo(text)


def _page(text: str) -> bool:
    """Show ``text`` in ``$PAGER`` (default ``less``, with ``-RX`` added to ``$LESS``)."""
    command = shlex.split(os.environ.get("PAGER") or "less")
    env = dict(os.environ, LESS=(os.environ.get("LESS", "") + " -RX").strip())
    try:
        subprocess.run(command, input=text + "\n", text=True, env=env, check=False)
    except OSError:
        return False  # no such pager: print instead
    return True


def _live(listing: Any, interval: int, layout: str, oneline: bool, provenance: bool) -> None:
    """Re-list and redraw every ``interval`` seconds until Ctrl-C (which ends it, exit 0)."""
    from inspect_flow import _output

    tty = sys.stdout.isatty()
    try:
        while True:
            result = listing()
            text = _render(result, layout, oneline, provenance, _width()) or "No logs found"
            stamp = time.strftime("%Y-%m-%d %H:%M:%S")
            if _output.display() != "none":
                if tty:
                    click.echo("\x1b[H\x1b[2J", nl=False)  # home, clear screen
                click.echo(f"Every {interval}s, at {stamp} (Ctrl-C to stop)\n{text}", nl=True)
                sys.stdout.flush()
            time.sleep(interval)
    except KeyboardInterrupt:
        return
