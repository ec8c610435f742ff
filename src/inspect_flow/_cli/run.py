"""``flow run``: parse, plan the run, show the pre-run table, run, render the outcome."""

from __future__ import annotations

import contextlib
import sys
from typing import TYPE_CHECKING

import click

from inspect_flow._cli.check import CHECK_ACTIONS, spec_options_with
from inspect_flow._cli.common import apply_display_options, display_options
from inspect_flow._cli.runopts import run_option

if TYPE_CHECKING:
    from inspect_flow._run import RunPlan, RunResult

RUN_ACTIONS = (*CHECK_ACTIONS, ("store", "Check store for logs"))


@click.command("run")
@click.argument("config_file", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--json", "as_json", is_flag=True, help="With --dry-run: print the pre-run check as JSON."
)
@click.option(
    "--dry-run", is_flag=True, help="Show what would run and what is complete; run nothing."
)
@run_option("log_dir_allow_dirty")
@click.option(
    "--handle-file",
    metavar="FILE",
    type=click.Path(dir_okay=False),
    default=None,
    help="Write the run's log directory to FILE; with --resume, continue the run it names.",
)
@run_option("venv", help="Not supported by run.")
@click.option(
    "--resume",
    is_flag=True,
    help="Continue the latest run (its unique log directory) instead of starting a new one.",
)
@run_option("log_dir_create_unique")
@run_option("store_write")
@run_option("store_read")
@run_option("store_filter")
@run_option("store")
@spec_options_with(
    "Limit the number of samples to run (same as --set options.limit=N).",
    "Log directory to run in instead of the spec's (relative to the CWD; s3:// works).",
)
@display_options
@click.pass_context
def run_command(
    ctx: click.Context,
    config_file: str,
    as_json: bool,
    dry_run: bool,
    log_dir_allow_dirty: bool | None,
    handle_file: str | None,
    venv: bool,
    resume: bool,
    log_dir_create_unique: bool | None,
    store_write: bool | None,
    store_read: bool | None,
    store_filter: tuple[str, ...],
    store: str | None,
    limit: int | None,
    log_dir: str | None,
    args: tuple[str, ...],
    sets: tuple[str, ...],
    display: str,
    log_level: str,
) -> None:
    """Run a spec."""
    from inspect_flow import _output
    from inspect_flow._cli.check import load_action
    from inspect_flow._errors import ExitCode, FlowError
    from inspect_flow._logs import display_path, normalize
    from inspect_flow._run import execute_run, plan_run

    if as_json and not dry_run:
        raise click.UsageError("--json is only supported with --dry-run.", ctx)
    if resume and log_dir is not None:
        raise click.UsageError("--resume and --log-dir are mutually exclusive.", ctx)
    if venv:
        raise click.UsageError(
            "--venv is not supported by flow run: run where the tasks' dependencies are installed.",
            ctx,
        )
    apply_display_options(display, log_level)
    given = click.core.ParameterSource.COMMANDLINE, click.core.ParameterSource.ENVIRONMENT
    quiet = contextlib.redirect_stdout(sys.stderr) if as_json else contextlib.nullcontext()
    spec_path = display_path(normalize(config_file))
    with quiet, _output.actions(f"Flow Spec: {spec_path}", "RUN", RUN_ACTIONS) as status:
        spec = load_action(status, spec_path, config_file, args, sets, limit, log_dir)
        with status.action("env", "inproc"):
            pass  # tasks run in this process
        plan = plan_run(
            spec,
            dry_run=dry_run,
            resume=resume,
            handle_file=handle_file,
            log_dir_create_unique=log_dir_create_unique,
            log_dir_allow_dirty=log_dir_allow_dirty,
            store=store,
            store_read=store_read,
            store_write=store_write,
            store_filter=list(store_filter) or None,
            display=display if ctx.get_parameter_source("display") in given else None,
            log_level=log_level if ctx.get_parameter_source("log_level") in given else None,
            phase=status.phase,
        )
        if plan.store.location is None:
            with status.action("store") as action:
                action.done("No store")
        elif not plan.store.read:
            with status.action("store") as action:
                action.done("Not read (--store-read is off)")
    if as_json:
        from inspect_flow._cli.render.check import render_json

        render_json(plan.table)
        return
    _store_line(plan)
    render_plan(plan)
    if dry_run:
        _output.out("Dry run: nothing was run, copied or written.")
        return
    try:
        result = execute_run(plan)
    except KeyboardInterrupt:
        _output.info(_resume_hint(plan, config_file, log_dir is not None))
        raise
    render_result(result)
    if result.store_error:
        raise FlowError(result.store_error)
    if not result.success:
        ctx.exit(ExitCode.INCOMPLETE)


def render_plan(plan: RunPlan) -> None:
    """Print the pre-run table, ``Running N tasks (M tasks complete)``, the store copies."""
    from inspect_flow import _output
    from inspect_flow._cli.render.check import render_text
    from inspect_flow._logs import display_path

    total, complete = len(plan.table.tasks), plan.complete
    summary = (
        f"Running {total} task{'s' if total != 1 else ''} "
        f"({complete} task{'s' if complete != 1 else ''} complete)"
    )
    render_text(plan.table, summary=summary, reasons=False)
    if plan.copies:
        verb = "Would copy" if plan.dry_run else "Copying"
        _output.out()
        _output.out(f"[blue]ℹ[/blue] {verb} from store:", markup=True)
        for source, dest in plan.copies:
            _output.out(f"{display_path(source)} -> {display_path(dest)}")
    for problem in plan.problems:
        _output.warn(problem)


def _store_line(plan: RunPlan) -> None:
    """Print ``Using store (MODE): PATH`` (stderr) when the run reads or writes a store."""
    from inspect_flow import _output
    from inspect_flow._logs import display_path
    from inspect_flow._store import resolve_root

    use = plan.store
    if use.location is None or not (use.read or use.write):
        return
    mode = "read-write" if use.read and use.write else "read only" if use.read else "write only"
    root = resolve_root(use.location) or use.location
    _output.err(f"Using store ({mode}): {display_path(root)}")


def render_result(result: RunResult) -> None:
    """Print the store import, then ``Completed N tasks`` (or what did not complete, and why)."""
    from inspect_flow import _output

    if result.indexed is not None:
        from inspect_flow._logs import display_path
        from inspect_flow._store.delta import report_import

        _output.err("\nImporting logs to store")
        for where, reason in result.indexed.skipped.items():
            _output.error(f"Not indexed: {display_path(where)}: {reason}")
        report_import(result.indexed, to_stdout=False)
    after = result.after
    assert after is not None
    total = len(after.tasks)
    done = sum(1 for t in after.tasks if t.complete)
    _output.out()
    if result.success and done == total:
        _output.out(f"[bold]Completed {total} task{'s' if total != 1 else ''}[/bold]", markup=True)
        return
    _output.out("[yellow]⚠[/yellow] Incomplete tasks:", markup=True)
    for task in after.tasks:
        if not task.complete:
            label = f"{task.name} ({task.differentiator})" if task.differentiator else task.name
            _output.out(f"{label}: {task.reason}")
    _output.out(
        f"[bold]Completed {done}/{total} task{'s' if total != 1 else ''} "
        f"({total - done} incomplete)[/bold]",
        markup=True,
    )


def _resume_hint(plan: RunPlan, config_file: str, log_dir_given: bool) -> str:
    from inspect_flow._logs import display_path

    where = display_path(plan.log_dir)
    if plan.handle_file:
        again = f"flow run {config_file} --resume --handle-file {plan.handle_file}"
    elif log_dir_given:
        again = f"flow run {config_file} --log-dir {where} --no-log-dir-create-unique"
    else:
        again = f"flow run {config_file} --resume"
    return f"Interrupted: the partial logs are kept in {where}. Continue with: {again}"
