"""The ``flow`` command group. Subcommands are imported lazily so ``--help``/``--version`` are instant."""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from inspect_flow import __version__

# name -> (module, attribute, one-line help). Help is listed here so `flow --help` imports nothing.
_COMMANDS: dict[str, tuple[str, str, str]] = {
    "check": (
        "inspect_flow._cli.check",
        "check_command",
        "Check a spec against existing logs (searches log directory recursively)",
    ),
    "config": ("inspect_flow._cli.check", "config_command", "Output config"),
    "step": ("inspect_flow._cli.step", "step_group", "Run workflow steps on eval logs."),
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
        try:
            command: click.Command = getattr(importlib.import_module(module), attribute)
        except (ImportError, AttributeError):
            return None
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, help_text) for name, (_, _, help_text) in sorted(_COMMANDS.items())]
        limit = formatter.width - 6 - max(len(name) for name, _ in rows)
        with formatter.section("Commands"):
            formatter.write_dl(
                [(name, click.utils.make_default_short_help(text, limit)) for name, text in rows]
            )


@click.group(cls=LazyGroup, invoke_without_command=True, context_settings={"max_content_width": 120})
@click.option("--version", is_flag=True, help="Print the flow version.")
@click.pass_context
def flow(ctx: click.Context, version: bool) -> None:
    """Inspect Flow: run workflow steps, filters and completeness checks on Inspect AI eval logs."""
    if version:
        click.echo(__version__)
        ctx.exit(0)
    if ctx.invoked_subcommand is None:
        click.echo(ctx.get_help())


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``flow`` console script."""
    sys.exit(run(argv))


def run(argv: list[str] | None = None, **extra: Any) -> int:
    """Run the CLI and return its exit code (errors rendered as one line on stderr)."""
    from inspect_flow._cli.errors import report

    args = list(sys.argv[1:] if argv is None else argv)
    try:
        if any(token.startswith("@") for token in args):
            from inspect_flow._discovery import expand_constants

            args = expand_constants(args)
        result = flow.main(args=args, prog_name="flow", standalone_mode=False, **extra)
    except click.exceptions.NoArgsIsHelpError as exc:
        click.echo(exc.ctx.get_help() if exc.ctx else "")
        return 2
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.exceptions.Abort as exc:
        if isinstance(exc.__cause__, KeyboardInterrupt):
            return report(exc.__cause__)
        click.echo("✗ Aborted", err=True)
        return 1
    except BaseException as exc:  # noqa: BLE001 - the one place every error becomes an exit code
        if isinstance(exc, SystemExit):
            return int(exc.code or 0) if not isinstance(exc.code, str) else 1
        return report(exc)
    return result if isinstance(result, int) else 0
