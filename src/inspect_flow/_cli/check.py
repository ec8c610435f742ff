"""``flow check``: parse, call the library once, render."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from inspect_flow._cli.common import apply_display_options, display_options
from inspect_flow._errors import ExitCode

if TYPE_CHECKING:
    from inspect_flow._output import Actions
    from inspect_flow._spec.models import FlowSpec

F = TypeVar("F", bound=Callable[..., Any])
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
    from inspect_flow._keyvalue import parse_pairs
    from inspect_flow._spec.load import load_spec_file

    return load_spec_file(
        config_file,
        args=dict(parse_pairs(args, "--arg", require_key=True)),
        sets=parse_pairs(sets, "--set", require_key=True),
        limit=limit,
        log_dir=log_dir,
    )


def load_action(
    status: Actions,
    spec_path: str,
    config_file: str,
    args: tuple[str, ...],
    sets: tuple[str, ...],
    limit: int | None,
    log_dir: str | None,
) -> FlowSpec:
    """Load the spec as the panel's ``load`` action (``Loaded N tasks``)."""
    with status.action("load", spec_path) as action:
        spec = load_spec_from_cli(config_file, args, sets, limit, log_dir)
        count = len(spec.tasks or [])
        action.done(f"Loaded {count} task{'s' if count != 1 else ''}")
    return spec


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
    from inspect_flow._cli.render.check import render_json, render_text
    from inspect_flow._errors import FlowError
    from inspect_flow._logs import display_path, normalize
    from inspect_flow._runtime import bulk_gc

    apply_display_options(display, log_level)
    # In --json mode stdout carries the JSON only: anything else printed goes to stderr.
    quiet = contextlib.redirect_stdout(sys.stderr) if as_json else contextlib.nullcontext()
    spec_path = display_path(normalize(config_file))
    # The status display goes to stderr; the table and summary below go to stdout.
    with (
        quiet,
        bulk_gc(),
        _output.actions(f"Flow Spec: {spec_path}", "CHECK", CHECK_ACTIONS) as status,
    ):
        spec = load_action(status, spec_path, config_file, args, sets, limit, log_dir)
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
        ctx.exit(ExitCode.INCOMPLETE)
    if result.unreadable:
        count = len(result.unreadable)
        raise FlowError(f"{count} log{'s' if count != 1 else ''} could not be read (see above)")
