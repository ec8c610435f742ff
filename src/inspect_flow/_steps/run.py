"""``run_step``: expand → filter → sort → read → call → commit → report."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias

from inspect_flow._errors import CommitError, CommitInterrupted, FlowUsageError, NoLogsError
from inspect_flow._logs import display_path, normalize, read_headers
from inspect_flow._logs import expand_paths as expand
from inspect_flow._logs.cleanup import report_backups
from inspect_flow._registry import StepInfo, registered_steps
from inspect_flow._runtime import ensure_initialised
from inspect_flow._steps.context import StepContext, active
from inspect_flow._steps.report import StepReport
from inspect_flow._steps.step import check_options, invoke, step_info_of

if TYPE_CHECKING:
    from inspect_ai.log import EvalLog

    from inspect_flow._filters import FilterSpec, LogFilter

Filters: TypeAlias = "FilterSpec | Sequence[FilterSpec] | None"
"""Filters as ``run_step`` takes them: a callable, a registered name or ``file.py@name``, or a
sequence of them."""


def run_step(
    step: Callable[..., Any] | str,
    logs: Sequence[str] | Sequence[EvalLog] | EvalLog | str,
    dry_run: bool = False,
    filter: Filters = None,
    exclude: Filters = None,
    recursive: bool = True,
    expand_paths: bool = True,
    store: Any = None,
    *args: Any,
    **kwargs: Any,
) -> StepReport:
    """Run a step over logs, the way ``flow step`` does.

    Args:
        step: A ``@step`` function, or the name of a registered step.
        logs: Log paths/directories (local or S3), EvalLogs, or a single path or EvalLog.
        dry_run: Run the step but write nothing; the report previews each change.
        filter: Filter(s) every log must pass: callables, registered names or ``file.py@name``.
        exclude: Filter(s) that remove a log when any of them passes.
        recursive: Search directories recursively.
        expand_paths: Expand directories into the logs they hold (False: paths are log files).
        store: A Flow Store (or ``auto``/a path): every log the run writes is indexed in it. With
            no ``logs``, the input is every log in the store (filters apply).
        *args: Positional arguments for the step.
        **kwargs: The step's options.

    Returns:
        The per-log report (written / unchanged / skipped / unreadable / ...).

    Raises:
        NoLogsError: Nothing was left to process.
        CommitError: Some logs could not be written; none of the batch was left changed.
    """
    ensure_initialised()
    info = _resolve_step(step)
    ctx = StepContext(dry_run=dry_run, store=store)
    ctx.report.step = info.name
    if ctx.store is not None and not logs:  # the input is the store's logs
        from inspect_flow._store import store_inputs

        logs, expand_paths = store_inputs(ctx.store), False
    with active(ctx):  # before reading: the run's version tokens are recorded in its session
        try:
            _run(ctx, info, logs, filter, exclude, recursive, expand_paths, args, kwargs)
            ctx.index_written()
        except (CommitError, CommitInterrupted) as exc:
            exc.report = ctx.report  # the CLI renders what happened to each log
            ctx.index_written()  # what an earlier flush wrote stays written: index it too
            raise
        except BaseException as exc:
            _say_written(ctx, exc)  # a flush before the error wrote logs: they stay written
            raise
    return ctx.report


def _say_written(ctx: StepContext, exc: BaseException) -> None:
    """Say which logs an earlier ``flush`` wrote before ``exc`` ended the run (they stay)."""
    written = ctx.report.written_locations()
    if not written:
        return
    shown = [display_path(location) for location in written]
    more = f" (and {len(shown) - 5} more)" if len(shown) > 5 else ""
    plural = "s" if len(shown) != 1 else ""
    message = (
        f"{len(shown)} log{plural} already written by a flush before the error, "
        f"left written: {', '.join(shown[:5])}{more}"
    )
    ctx.report.note("written", "warn", message)
    add_note = getattr(
        exc, "add_note", None
    )  # Python 3.11+: for Python callers, under the traceback
    if add_note is not None:
        add_note(message)
    ctx.index_written()


def _run(
    ctx: StepContext,
    info: StepInfo,
    logs: Any,
    filter: Filters,
    exclude: Filters,
    recursive: bool,
    expand_paths: bool,
    args: Sequence[Any],
    kwargs: dict[str, Any],
) -> None:
    from inspect_ai.log import EvalLog

    check_options(info, kwargs)  # wrong options fail before any log is listed or read
    if ctx.dry_run:
        ctx.report.note("dry-run", "plain", "[DRY RUN] will not write changes")
    items: list[Any] = [logs] if isinstance(logs, (str, EvalLog)) else list(logs)
    given = [item for item in items if isinstance(item, EvalLog)]
    locations = [str(item) for item in items if not isinstance(item, EvalLog)]
    if locations and expand_paths:
        unlistable: dict[str, str] = {}  # folders that cannot be listed: reported, not skipped
        kept: list[os.DirEntry[str]] = []  # previous versions killed runs left: said every run
        locations = expand(locations, recursive=recursive, errors=unlistable, backups=kept)
        ctx.record_unreadable(unlistable)
        report_backups(kept, ctx.session.cleanup)
        ctx.note_cleanup()
    else:  # paths are log files: still one normal form (absolute file:// URIs, no ``..``)
        locations = [normalize(location) for location in locations]
    includes, excludes = _filters(filter), _filters(exclude)
    headers: list[EvalLog] | None = None
    if includes or excludes:
        headers = given + _read(ctx, locations)
        headers = apply_filters(headers, includes, excludes, ctx.report)
        count = len(headers)
    else:
        count = len(given) + len(locations)
    if count == 0:
        raise NoLogsError()
    if headers is None:
        headers = given + _read(ctx, sorted(locations))
    headers.sort(key=lambda log: log.location)
    if headers:
        invoke(info, headers, args, kwargs)
    ctx.flush()
    touched = {entry.location for entry in ctx.report.logs} | ctx.report.covered
    for log in headers:
        if log.location not in touched:
            ctx.report.record(log.location, "unchanged")


def _resolve_step(step: Callable[..., Any] | str) -> StepInfo:
    if isinstance(step, str):
        found = registered_steps().get(step)
        if found is None:
            raise FlowUsageError(f"No such step '{step}'.")
        return found
    return step_info_of(step)


def _read(ctx: StepContext, locations: list[str]) -> list[EvalLog]:
    result = read_headers(locations, session=ctx.session)
    ctx.record_unreadable(result.errors)
    return result.logs


def _filters(spec: Filters) -> list[tuple[str, LogFilter]]:
    if spec is None or (isinstance(spec, (list, tuple)) and not spec):
        return []
    from inspect_flow._filters import resolve_filters

    return resolve_filters(spec)


def apply_filters(
    logs: list[EvalLog],
    includes: list[tuple[str, LogFilter]],
    excludes: list[tuple[str, LogFilter]],
    report: StepReport,
) -> list[EvalLog]:
    """Keep logs passing every include filter, then drop those passing any exclude filter.

    Notes ``Filter: NAME — k/n logs matched`` / ``Exclude: NAME — k/n logs remaining`` per filter
    in ``report``.
    """
    from inspect_flow._filters import apply_filter

    for name, func in includes:
        before = len(logs)
        logs = [log for log in logs if apply_filter(name, func, log)]
        report.note("filter", "plain", f"Filter: {name} — {len(logs)}/{before} logs matched")
    for name, func in excludes:
        before = len(logs)
        logs = [log for log in logs if not apply_filter(name, func, log)]
        report.note("exclude", "plain", f"Exclude: {name} — {len(logs)}/{before} logs remaining")
    return logs
