"""``flow store``: import, remove, list, info, delete (each parses, calls the library, renders)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from inspect_flow._cli.common import apply_display_options, display_options

if TYPE_CHECKING:
    from inspect_flow._store import DeltaFlowStore

F = TypeVar("F", bound=Callable[..., Any])


def store_option(func: F) -> F:
    """Add ``--store`` (default ``auto``; a bare ``--store`` is ``auto``) and display options."""
    func = display_options(func)
    return click.option(
        "--store",
        is_flag=False,
        flag_value="auto",
        default="auto",
        envvar="INSPECT_FLOW_STORE",
        help="Path to the store directory.",
    )(func)


def filter_options(func: F) -> F:
    """Add repeatable ``--filter`` and ``--exclude`` (combinable, as on steps)."""
    func = click.option(
        "--filter",
        "filters",
        multiple=True,
        envvar="INSPECT_FLOW_STORE_FILTER",
        help="Log filter. Include only logs that pass. Accepts a registered name, `file.py@name`, "
        "or a name defined in `_flow.py`. Can be used multiple times (all must pass).",
    )(func)
    return click.option(
        "--exclude",
        "excludes",
        multiple=True,
        envvar="INSPECT_FLOW_STORE_EXCLUDE",
        help="Log filter. Include only logs that do NOT pass. Can be used multiple times.",
    )(func)


def open_cli_store(store: str, mode: str, must_exist: bool) -> DeltaFlowStore:
    """Open the store for a command, print ``Using store (MODE): PATH``; maybe require it."""
    from inspect_flow import _output
    from inspect_flow._errors import StoreNotFoundError
    from inspect_flow._store import not_found_message, open_store
    from inspect_flow._store.location import shown

    found = open_store(store)
    if must_exist and not found.exists():
        raise StoreNotFoundError(not_found_message(store, found.root))
    _output.err(f"Using store ({mode}): {shown(found.root)}")
    return found


class ArgumentsCommand(click.Command):
    """A command whose help lists its arguments in an "Arguments" section (as Flow 0.14's)."""

    arguments_help: dict[str, str] = {}

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [
            (str(p.make_metavar(ctx)), self.arguments_help[str(p.name)])
            for p in self.get_params(ctx)
            if isinstance(p, click.Argument) and str(p.name) in self.arguments_help
        ]
        if rows:
            with formatter.section("Arguments"):
                formatter.write_dl(rows)
        super().format_options(ctx, formatter)


class ImportCommand(ArgumentsCommand):
    """``flow store import`` (its PATH argument is described in the help)."""

    arguments_help = {"paths": "One or more paths to log files or directories [required]"}


class RemoveCommand(ArgumentsCommand):
    """``flow store remove`` (its PREFIX argument is described in the help)."""

    arguments_help = {"prefixes": "One or more prefixes to match against log paths [optional]"}


@click.group(name="store", help="Manage the flow store", no_args_is_help=True)
def store_group() -> None:
    pass


@store_group.command(name="import", cls=ImportCommand, help="Import logs into the store")
@click.argument(
    "paths", nargs=-1, required=True, metavar="PATH...", envvar="INSPECT_FLOW_STORE_PATH"
)
@store_option
@click.option(
    "-r/-R",
    "--recursive/--no-recursive",
    default=True,
    envvar="INSPECT_FLOW_STORE_RECURSIVE",
    help="Search directories recursively for logs",
)
@click.option(
    "--copy-from",
    metavar="DIRECTORY",
    help="Copy logs from this directory to PATH before importing. Supports both local and S3 "
    "paths.",
)
@click.option(
    "--dry-run", is_flag=True, help="Preview what would be imported without making changes"
)
@click.pass_context
def import_command(
    ctx: click.Context,
    paths: tuple[str, ...],
    store: str,
    display: str,
    log_level: str,
    recursive: bool,
    copy_from: str | None,
    dry_run: bool,
) -> None:
    """Import logs into the store."""
    from inspect_flow import _output
    from inspect_flow._store import copy_all_logs

    apply_display_options(display, log_level)
    if copy_from and len(paths) != 1:
        raise click.UsageError("When using --copy-from, exactly one PATH must be specified", ctx)
    if dry_run:
        _output.err("\n[DRY RUN] Preview mode - logs will not be imported\n")
    found = open_cli_store(store, "read-write", must_exist=False)
    targets = list(paths)
    if copy_from:
        copied = copy_all_logs(copy_from, paths[0], dry_run=dry_run, recursive=recursive)
        if dry_run:
            _output.out(f"[DRY RUN] Would copy {len(copied)} logs to {paths[0]} and import them")
            return
        if not copied:
            return
    if not dry_run:
        found.create()
    result = found.import_log_path(targets, recursive=recursive, dry_run=dry_run, verbose=True)
    if not result.ok:
        ctx.exit(1)


@store_group.command(name="remove", cls=RemoveCommand, help="Remove logs from the store")
@click.argument("prefixes", nargs=-1, metavar="[PREFIX]...", envvar="INSPECT_FLOW_STORE_PREFIX")
@store_option
@filter_options
@click.option(
    "-r/-R",
    "--recursive/--no-recursive",
    default=True,
    help="Remove logs in subdirectories of a PREFIX too",
)
@click.option("--missing", is_flag=True, help="Remove logs that no longer exist on file system")
@click.option(
    "--dry-run", is_flag=True, help="Preview what would be removed without making changes"
)
@click.pass_context
def remove_command(
    ctx: click.Context,
    prefixes: tuple[str, ...],
    store: str,
    display: str,
    log_level: str,
    filters: tuple[str, ...],
    excludes: tuple[str, ...],
    recursive: bool,
    missing: bool,
    dry_run: bool,
) -> None:
    """Remove logs from the store."""
    from inspect_flow import _output

    apply_display_options(display, log_level)
    if not prefixes and not missing:
        raise click.UsageError("Either prefix or --missing must be specified.", ctx)
    if prefixes and missing:
        raise click.UsageError("Cannot specify both prefix and --missing.", ctx)
    if dry_run:
        _output.err("\n[DRY RUN] Preview mode - logs will not be removed\n")
    found = open_cli_store(store, "read-write", must_exist=True)
    result = found.remove_log_prefix(
        list(prefixes),
        missing=missing,
        recursive=recursive,
        dry_run=dry_run,
        verbose=True,
        filter=list(filters) or None,
        exclude=list(excludes) or None,
    )
    if result.unreadable:
        ctx.exit(1)


@store_group.command(
    name="list",
    help="List logs and log directories in the store. With --json, the display-only --format "
    "option is ignored.",
)
@click.option("--json", "as_json", is_flag=True, help="Output as JSON.")
@store_option
@filter_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["flat", "tree"]),
    default="flat",
    help="Output format: tree, flat",
)
def list_command(
    as_json: bool,
    store: str,
    display: str,
    log_level: str,
    filters: tuple[str, ...],
    excludes: tuple[str, ...],
    fmt: str,
) -> None:
    """List the logs in the store."""
    from inspect_flow import _output
    from inspect_flow._cli.output import print_json

    apply_display_options(display, log_level)
    found = open_cli_store(store, "read only", must_exist=True)
    logs = sorted(found.get_logs(filter=list(filters) or None, exclude=list(excludes) or None))
    if as_json:
        print_json({"logs": logs})
    elif not logs:
        _output.err("No logs in store")
    elif fmt == "tree":
        render_tree(logs)
    else:
        from inspect_flow._logs import display_path

        for where in logs:
            _output.out(display_path(where))


@store_group.command(name="info", help="Print store information")
@click.option("--json", "as_json", is_flag=True, help="Output as JSON.")
@store_option
def info_command(as_json: bool, store: str, display: str, log_level: str) -> None:
    """Print the store's path, log count, directory count and version."""
    from inspect_flow import _output
    from inspect_flow._cli.output import print_json
    from inspect_flow._logs import dirname
    from inspect_flow._store.location import shown

    apply_display_options(display, log_level)
    found = open_cli_store(store, "read only", must_exist=True)
    logs = found.get_logs()
    dirs = len({dirname(where) for where in logs})
    if as_json:
        data = {"path": found.store_path, "logs": len(logs), "log_dirs": dirs}
        print_json({**data, "version": found.version})
        return
    _output.out(f"Path:     {shown(found.root)}")
    _output.out(f"Logs:     {len(logs)} logs")
    _output.out(f"Log dirs: {dirs} log dirs")
    _output.out(f"Version:  {found.version}")


@store_group.command(name="delete", help="Delete the flow store")
@store_option
@click.option("-y", "--yes", is_flag=True, help="Skip confirmation prompt")
@click.pass_context
def delete_command(ctx: click.Context, store: str, display: str, log_level: str, yes: bool) -> None:
    """Delete ``<store>/flow_store`` (the root directory itself is kept)."""
    import sys

    from inspect_flow import _output
    from inspect_flow._errors import StoreNotFoundError
    from inspect_flow._store import delete_store, open_store
    from inspect_flow._store.location import shown

    apply_display_options(display, log_level)
    found = open_store(store)
    where = shown(found.root)
    if not found.exists():
        raise StoreNotFoundError(f"Store not found at {where}")
    if not yes:
        if not sys.stdin.isatty():
            raise click.UsageError(
                f"Refusing to delete the store at {where} without confirmation on a "
                "non-interactive terminal. Re-run with --yes to confirm.",
                ctx,
            )
        click.confirm(f"Are you sure you want to delete the store at {where}?", abort=True)
    delete_store(found.root)
    _output.success(f"Deleted store at {where}", to_stdout=True)


def render_tree(logs: list[str]) -> None:
    """Print locations as a tree of path components (directories magenta, files as leaves)."""
    from rich.markup import escape
    from rich.tree import Tree

    from inspect_flow import _output
    from inspect_flow._logs import display_path

    root = Tree("", hide_root=True)
    nodes: dict[tuple[str, ...], Tree] = {(): root}
    for where in logs:
        shown = display_path(where)
        if "://" in shown:  # s3://bucket/key: the bucket URL is the top node
            scheme, rest = shown.split("://", 1)
            bucket, _, path = rest.partition("/")
            parts: tuple[str, ...] = (f"{scheme}://{bucket}", *path.split("/"))
        else:
            parts = tuple(shown.split("/"))
        for depth in range(1, len(parts)):
            prefix = parts[:depth]
            if prefix not in nodes:
                label = f"[magenta]{escape(parts[depth - 1] or '/')}[/magenta]"
                nodes[prefix] = nodes[parts[: depth - 1]].add(label)
        nodes[parts[:-1]].add(escape(parts[-1]))
    _output.print_renderable(root)
