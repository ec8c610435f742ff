"""The ``flow`` command group, with lazily imported subcommands (``--help`` is instant)."""

from __future__ import annotations

import atexit
import importlib
import os
import sys
import threading
from typing import Any, NoReturn

import click

from inspect_flow import __version__
from inspect_flow._errors import ExitCode

# name -> (module, attribute, one-line help). Help is listed here so `flow --help` imports nothing.
_COMMANDS: dict[str, tuple[str, str, str]] = {
    "check": (
        "inspect_flow._cli.check",
        "check_command",
        "Check a spec against existing logs (searches log directory recursively)",
    ),
    "config": ("inspect_flow._cli.config", "config_command", "Output config"),
    "list": ("inspect_flow._cli.list", "list_group", "CLI command to list flow entities."),
    "run": ("inspect_flow._cli.run", "run_command", "Run a spec"),
    "step": ("inspect_flow._cli.step", "step_group", "Run workflow steps on eval logs."),
    "store": ("inspect_flow._cli.store", "store_group", "Manage the flow store"),
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported only when used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = _COMMANDS.get(cmd_name)
        if entry is None:
            return None
        module, attribute, _ = entry
        # An import error here is a broken installation: report it (one line, exit 1) rather
        # than pretend the command does not exist.
        command: click.Command = getattr(importlib.import_module(module), attribute)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, help_text) for name, (_, _, help_text) in sorted(_COMMANDS.items())]
        limit = formatter.width - 6 - max(len(name) for name, _ in rows)
        with formatter.section("Commands"):
            formatter.write_dl([(name, _short_help(name, text, limit)) for name, text in rows])


def _short_help(name: str, text: str, limit: int) -> str:
    # Click's own truncation (a "..." at a word boundary), without importing the command.
    return click.Command(name, help=text).get_short_help_str(limit)


# As in Flow 0.14: help at most 120 columns wide, and every option can also come from an
# environment variable INSPECT_FLOW_<COMMAND>_<SUBCOMMAND>_<OPTION> (options that name their own
# variable, such as --store -> INSPECT_FLOW_STORE, keep it).
CONTEXT_SETTINGS: dict[str, Any] = {"max_content_width": 120, "auto_envvar_prefix": "INSPECT_FLOW"}


@click.group(cls=LazyGroup, invoke_without_command=True, context_settings=CONTEXT_SETTINGS)
# Not from the environment: INSPECT_FLOW_VERSION=0.14.0 (a pinned package version, say) must not
# turn every command into a usage error.
@click.option("--version", is_flag=True, allow_from_autoenv=False, help="Print the flow version.")
@click.pass_context
def flow(ctx: click.Context, version: bool) -> None:
    # No docstring on purpose: `flow --help` shows no description, as in Flow 0.14.
    if version:
        click.echo(__version__)
        ctx.exit(0)
    if ctx.invoked_subcommand is None:
        click.echo(ctx.get_help())


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``flow`` console script."""
    exit_process(run(argv))


def exit_process(code: int) -> NoReturn:
    """End the process with ``code``, without the interpreter's teardown when that is safe.

    After a run over many logs, tearing the interpreter down (freeing every module, pydantic
    schema and header object one by one) takes about 0.25 s: a tenth of ``flow step tag`` over
    1000 logs, spent after the work is done and the output written. So, as long-running Python
    services do at exit, the process ends with ``os._exit`` once everything a normal exit
    guarantees has happened: the ``atexit`` handlers have run (logging's flush, temporary
    directories, handlers of user code) and stdout and stderr are flushed. Every write of ours is
    durable before ``run`` returns, so nothing is left to the teardown.

    It falls back to the normal exit when a non-daemon thread is still alive (the normal exit
    waits for it) or a stream cannot be flushed (a closed pipe: the normal exit reports it).
    """
    if any(t is not threading.main_thread() and not t.daemon for t in threading.enumerate()):
        sys.exit(code)
    run_exitfuncs = getattr(atexit, "_run_exitfuncs", None)  # CPython's (and PyPy's) own
    if run_exitfuncs is None:
        sys.exit(code)
    run_exitfuncs()  # runs each handler once and clears the list (a fallback exit reruns none)
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    except (OSError, ValueError):
        sys.exit(code)
    os._exit(code)


def run(argv: list[str] | None = None, **extra: Any) -> int:
    """Run the CLI and return its exit code (errors rendered as one line on stderr)."""
    from inspect_flow._cli.errors import report

    args = list(sys.argv[1:] if argv is None else argv)
    try:
        _load_dotenv()
        if any(token.startswith("@") for token in args):
            args = _expand_constants(args)
        result = flow.main(args=args, prog_name="flow", standalone_mode=False, **extra)
    except click.exceptions.NoArgsIsHelpError as exc:
        click.echo(exc.ctx.get_help() if exc.ctx else "")
        return ExitCode.USAGE
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.exceptions.Abort as exc:
        if isinstance(exc.__cause__, KeyboardInterrupt):
            return report(exc.__cause__)
        click.echo("✗ Aborted", err=True)
        return ExitCode.FAILURE
    except BaseException as exc:  # noqa: BLE001 - the one place every error becomes an exit code
        if isinstance(exc, SystemExit):  # user code called sys.exit: never end flow silently
            from inspect_flow._userfiles import exit_error

            return report(exit_error(exc, what="user code"))
        return report(exc)
    return result if isinstance(result, int) else 0


def _expand_constants(args: list[str]) -> list[str]:
    """Replace ``@NAME`` tokens; a missing or ambiguous constant is an ``Invalid value``."""
    from inspect_flow._discovery import expand_constants
    from inspect_flow._errors import FlowUsageError

    try:
        return expand_constants(args)
    except FlowUsageError as exc:
        raise FlowUsageError(f"Invalid value: {exc}") from exc


def _load_dotenv() -> None:
    """Load the nearest ``.env`` at or above the CWD (never overriding the environment).

    Done before parsing so ``.env`` can supply option values (``INSPECT_FLOW_DISPLAY``, ...).
    The command's options then set the display and logging, so Flow counts as initialised.
    """
    from inspect_flow._runtime import load_dotenv_near, mark_initialised

    load_dotenv_near(".")
    mark_initialised()
