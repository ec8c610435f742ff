"""``flow step``: a click group whose commands are built from registered step functions."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Any

import click

from inspect_flow._cli.common import apply_display_options, display_options
from inspect_flow._errors import ExitCode
from inspect_flow._registry import StepInfo

GROUP_HELP = """Run workflow steps on eval logs.

Steps are discovered from built-in steps, _flow.py files in the current directory tree, and Python
entry points.

You can also load steps from an arbitrary Python file:

\b
    flow step file.py --help          List steps in a file
    flow step file.py STEP [ARGS]     Run a step from a file
    flow step file.py@STEP [ARGS]     Shorthand for the above
"""

_PATH_PARAM = "flow_paths"  # an unlikely name, so a step parameter called `path(s)` can't collide
# The click names of the common options (``--json`` is ``as_json``), shown under "Common Options".
COMMON_NAMES = tuple(
    "store filter exclude recursive dry_run as_json shard batch_size display log_level".split()
)


class _ShardType(click.ParamType):  # type: ignore[type-arg]
    """``I/N``: part I (0-based) of N; a bad value is a usage error naming the option."""

    name = "I/N"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, tuple):
            return value
        from inspect_flow._errors import FlowUsageError
        from inspect_flow._steps.shard import parse_shard

        try:
            return parse_shard(str(value))
        except FlowUsageError as exc:
            self.fail(str(exc), param, ctx)


def _common_params() -> list[click.Parameter]:
    params: list[click.Parameter] = [
        click.Option(
            ["--store"],
            is_flag=False,
            flag_value="auto",
            default=None,
            envvar="INSPECT_FLOW_STORE",
            help="Resolve logs from a store. Use --store for the default store or --store PATH "
            "for a specific one.",
        ),
        click.Option(
            ["--filter"],
            multiple=True,
            help="Log filter. Only process logs that pass. Accepts a registered name, "
            "`file.py@name`, or a name defined in `_flow.py`. Can be used multiple times "
            "(all must pass).",
        ),
        click.Option(
            ["--exclude"],
            multiple=True,
            help="Log filter. Exclude logs that pass. Accepts a registered name, `file.py@name`, "
            "or a name defined in `_flow.py`. Can be used multiple times.",
        ),
        click.Option(
            ["--recursive/--no-recursive"],
            default=True,
            help="Recurse into directories (default: true). No effect when --store is used.",
        ),
        click.Option(["--dry-run"], is_flag=True, help="Preview changes without writing to disk."),
        click.Option(
            ["--json", "as_json"], is_flag=True, help="Print a machine-readable report on stdout."
        ),
        click.Option(
            ["--shard"],
            type=_ShardType(),
            default=None,
            help="Process only part I of N (0-based) of the selected logs, split by a stable "
            "hash of each log's location: N machines given 0/N ... N-1/N process every log "
            "once.",
        ),
        click.Option(
            ["--batch-size"],
            type=click.IntRange(min=1),
            default=None,
            metavar="N",
            help="Process the logs in batches of N, each read, run and written as its own "
            "all-or-nothing transaction (bounded memory; the step sees one batch at a time).",
        ),
    ]

    @display_options
    def _holder() -> None:  # collects the shared --display/--log-level options
        pass

    params.extend(reversed(getattr(_holder, "__click_params__", [])))
    return params


class StepCommand(click.Command):
    """A step command: help shows step options and common options in separate sections."""

    def get_short_help_str(self, limit: int = 45) -> str:
        """Return the docstring's first paragraph, cut with ``...`` to fit the command list.

        As click does for a help text; click would wrap an explicit short help over several
        lines instead.
        """
        return click.Command(self.name, help=self.short_help or "").get_short_help_str(limit)

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        common = [p for p in self.get_params(ctx) if p.name in COMMON_NAMES]
        own = [
            p for p in self.get_params(ctx) if p not in common and not isinstance(p, click.Argument)
        ]
        rows = [("[PATH]...", "")] + [r for p in own if (r := p.get_help_record(ctx))]
        with formatter.section("Options"):
            formatter.write_dl(rows)
        with formatter.section("Common Options"):
            formatter.write_dl([r for p in common if (r := p.get_help_record(ctx))])


def build_step_command(info: StepInfo, name: str | None = None) -> click.Command:
    """Build the click command of a step from its signature and docstring."""
    from inspect_flow._cli.params import description, first_paragraph, step_signature

    signature = step_signature(info.func, info.name)
    doc = info.func.__doc__

    @click.pass_context
    def callback(ctx: click.Context, /, **values: Any) -> None:
        _run(ctx, info, signature, values)

    params: list[click.Parameter] = [
        click.Argument([_PATH_PARAM], nargs=-1, metavar="[PATH]...", required=False),
        *signature.params,
        *_common_params(),
    ]
    return StepCommand(
        name or info.name,
        params=params,
        callback=callback,
        help=description(doc),
        short_help=first_paragraph(doc),
    )


def _run(ctx: click.Context, info: StepInfo, signature: Any, values: dict[str, Any]) -> None:
    from inspect_flow._cli.output import render_notice, render_step_report
    from inspect_flow._cli.params import python_only_message
    from inspect_flow._errors import CommitError, CommitInterrupted, StepOptionError
    from inspect_flow._runtime import bulk_gc
    from inspect_flow._steps.report import presenting
    from inspect_flow._steps.run import run_step

    if signature.python_only_required:
        raise click.UsageError(python_only_message(info.name, signature.python_only_required), ctx)
    kwargs = signature.to_kwargs(ctx.params)
    apply_display_options(values["display"], values["log_level"])
    user_paths = list(values[_PATH_PARAM])
    store = _step_store(ctx, values["store"], bool(user_paths))
    if not user_paths and store is None:
        raise click.UsageError("Either PATH or --store is required.", ctx)
    # With --json, stdout carries the report and nothing else: whatever the step itself prints
    # (a user step calling print()) goes to stderr.
    quiet_stdout = contextlib.redirect_stdout(sys.stderr) if values["as_json"] else None
    try:
        with quiet_stdout or contextlib.nullcontext(), presenting(render_notice), bulk_gc():
            report = run_step(
                info.wrapper,
                user_paths,
                dry_run=values["dry_run"],
                filter=list(values["filter"]),
                exclude=list(values["exclude"]),
                recursive=values["recursive"],
                store=store,
                shard=values["shard"],
                batch_size=values["batch_size"],
                **kwargs,
            )
    except (CommitError, CommitInterrupted) as exc:
        if exc.report is not None:
            render_step_report(exc.report, values["as_json"])
        raise
    except StepOptionError as exc:
        if exc.step != info.name:  # a step this one calls: not an option of this command
            raise
        raise click.UsageError(exc.cli_message, ctx) from exc
    render_step_report(report, values["as_json"])
    if not report.ok:
        ctx.exit(ExitCode.FAILURE)


def _step_store(ctx: click.Context, value: str | None, has_paths: bool) -> Any:
    """Open the ``--store`` of a step command (never created: a missing store is an error).

    Without PATH the input is the store's logs; with PATH the PATH logs are processed and what
    is written is indexed. A store that only comes from ``INSPECT_FLOW_STORE`` and does not exist
    does not stop ``flow step PATH``: it is reported and the run goes on without it.
    """
    if value is None or value.strip().lower() == "none":
        return None
    from inspect_flow import _output
    from inspect_flow._errors import StoreNotFoundError
    from inspect_flow._store import not_found_message, open_store
    from inspect_flow._store.location import shown

    found = open_store(value)
    if not found.exists():
        from_env = ctx.get_parameter_source("store") == click.core.ParameterSource.ENVIRONMENT
        if has_paths and from_env:
            _output.warn(
                f"{not_found_message(value, found.root)} (INSPECT_FLOW_STORE): "
                "written logs are not indexed"
            )
            return None
        raise StoreNotFoundError(not_found_message(value, found.root))
    _output.err(f"Using store (read-write): {shown(found.root)}")
    return found


class FileStepsGroup(click.Group):
    """The steps defined in one Python file (``flow step file.py …``)."""

    def __init__(self, file: str) -> None:
        super().__init__(name=file, help=f"Steps from {file}")
        self.file = file

    def _steps(self) -> dict[str, StepInfo]:
        from inspect_flow._discovery import steps_in_file

        return steps_in_file(self.file)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(self._steps())

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        steps = self._steps()
        info = steps.get(cmd_name)
        if info is None and not cmd_name.startswith("-"):
            raise click.UsageError(no_step_message(cmd_name, self.file, steps), ctx)
        return build_step_command(info) if info else None


def no_step_message(name: str, file: str, steps: dict[str, StepInfo]) -> str:
    """Say that ``file`` has no step ``name``, listing the steps it has."""
    if not steps:
        return f"No step '{name}' in {file}: it defines no steps (decorate them with @step)."
    return f"No step '{name}' in {file}. Steps there: {', '.join(sorted(steps))}."


class StepGroup(click.Group):
    """``flow step``: built-ins, ``_flow.py`` steps, entry points, and ``file.py[@STEP]`` forms."""

    def _registry(self, *, entry_points: bool = False) -> dict[str, StepInfo]:
        """Return the steps: built-ins and the ``_flow.py`` chain, plus entry points if asked."""
        import inspect_flow._steps.builtins  # noqa: F401 - registers tag, metadata, copy
        from inspect_flow._discovery import load_entry_points, load_flow_files
        from inspect_flow._registry import registered_steps

        if entry_points:
            load_entry_points()
        load_flow_files()  # after entry points: a _flow.py step wins over a package's
        return registered_steps()

    def list_commands(self, ctx: click.Context) -> list[str]:
        # Listing every step (``flow step --help``) is the one time installed packages are
        # imported up front; running a step imports them only when its name is not found.
        return sorted(self._registry(entry_points=True))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name.endswith(".py"):
            group = FileStepsGroup(cmd_name)
            return group if group._steps() else None
        file, at, step_name = cmd_name.rpartition("@")
        if at and file.endswith(".py"):
            steps = FileStepsGroup(file)._steps()
            info = steps.get(step_name)
            if info is None:
                raise click.UsageError(no_step_message(step_name, file, steps), ctx)
            return build_step_command(info, cmd_name)
        info = self._registry().get(cmd_name)
        if info is None:  # not built in nor in a _flow.py: maybe an installed package has it
            info = self._registry(entry_points=True).get(cmd_name)
        return build_step_command(info) if info else None

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0] if args else ""
        if name.endswith(".py") or "@" in name:
            file = name.rpartition("@")[0] if "@" in name else name
            if file.endswith(".py") and not Path(file).exists():
                from inspect_flow._errors import FlowUsageError

                raise FlowUsageError(f"Invalid value: File not found: {file}")
        return super().resolve_command(ctx, args)


step_group = StepGroup(name="step", help=GROUP_HELP, no_args_is_help=True)
