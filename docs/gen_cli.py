"""Regenerate the command reference in ``docs/cli.md`` from the CLI's own ``--help`` output.

Usage (from the repository root)::

    .venv/bin/python docs/gen_cli.py          # rewrite docs/cli.md between the markers
    .venv/bin/python docs/gen_cli.py --check  # exit 1 if docs/cli.md is stale

Help is rendered at 80 columns, in an empty temporary directory (so no ``_flow.py`` adds steps), by
the same ``run()`` the ``flow`` console script uses. ``tests/test_cli_docs.py`` fails when the file
is stale.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

CLI_MD = Path(__file__).resolve().parent / "cli.md"
BEGIN = "<!-- BEGIN GENERATED HELP (docs/gen_cli.py) -->"
END = "<!-- END GENERATED HELP -->"

# The command lines after `flow` whose help is documented, in order.
COMMANDS: list[list[str]] = [
    [],
    ["step"],
    ["step", "tag"],
    ["step", "metadata"],
    ["step", "copy"],
    ["check"],
    ["config"],
    ["list"],
    ["list", "log"],
    ["run"],
    ["store"],
    ["store", "import"],
    ["store", "remove"],
    ["store", "list"],
    ["store", "info"],
    ["store", "delete"],
]


def render_help(args: list[str]) -> str:
    """Return ``flow ARGS --help`` as printed at 80 columns."""
    import click.formatting
    from click.testing import CliRunner

    from inspect_flow._cli.main import run

    with CliRunner().isolation(env={"COLUMNS": "80"}) as (out, err, _):
        # What an 80-column terminal shows (click wraps at columns - 2), not CliRunner's fixed 80.
        click.formatting.FORCED_WIDTH = None
        code = run([*args, "--help"])
        sys.stdout.flush()
    if code != 0:
        raise RuntimeError(f"flow {' '.join(args)} --help exited {code}: {err.getvalue()!r}")
    return out.getvalue().decode().rstrip() + "\n"


def generated_section() -> str:
    """Return the text between the markers: one heading and code block per command."""
    cwd = os.getcwd()
    with tempfile.TemporaryDirectory() as empty:
        os.chdir(empty)  # no _flow.py here: only the built-in steps are listed
        try:
            blocks = [
                f"### `flow{''.join(' ' + a for a in args)}`\n\n```text\n{render_help(args)}```\n"
                for args in COMMANDS
            ]
        finally:
            os.chdir(cwd)
    return "\n".join(blocks)


def render_document(current: str) -> str:
    """Return ``current`` (the text of cli.md) with the generated section replaced."""
    head, sep, rest = current.partition(BEGIN)
    _, sep2, tail = rest.partition(END)
    if not sep or not sep2:
        raise ValueError(f"{CLI_MD} lacks the markers {BEGIN!r} ... {END!r}")
    return f"{head}{BEGIN}\n\n{generated_section()}\n{END}{tail}"


def main(argv: list[str]) -> int:
    """Rewrite cli.md, or with ``--check`` report whether it is up to date."""
    current = CLI_MD.read_text()
    expected = render_document(current)
    if "--check" in argv:
        if expected != current:
            print(f"{CLI_MD} is stale: run .venv/bin/python docs/gen_cli.py", file=sys.stderr)
            return 1
        return 0
    if expected != current:
        CLI_MD.write_text(expected)
        print(f"updated {CLI_MD}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
