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
from inspect_flow._steps.shard import Shard, check_shard, in_shard
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
    shard: Shard | str | None = None,
    batch_size: int | None = None,
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
        shard: Process only part ``(i, n)`` (or ``"i/n"``) of the selection: the logs whose
            normalised location hashes to part ``i`` of ``n`` (0-based; see ``docs/scale.md``).
            ``n`` machines given ``(0, n)`` … ``(n - 1, n)`` process every log exactly once.
            Keyword only.
        batch_size: Process the selection in consecutive batches of this many logs (in location
            order), each read, given to the step and committed as its own all-or-nothing
            transaction before the next is read: memory holds one batch. The step sees one batch
            at a time. A failed batch ends the run and the batches before it stay written (run
            again to resume: edits already made write nothing). Keyword only.
        **kwargs: The step's options.

    Returns:
        The per-log report (written / unchanged / skipped / unreadable / ...).

    Raises:
        NoLogsError: Nothing was left to process (with ``shard``: only when the PATHs hold no
            logs at all; an empty part is a run over no logs).
        FlowUsageError: An invalid ``shard`` or ``batch_size``.
        CommitError: Some logs could not be written; none of the batch was left changed.
    """
    ensure_initialised()
    part = None if shard is None else check_shard(shard)
    batch = None if batch_size is None else _check_batch_size(batch_size)
    info = _resolve_step(step)
    ctx = StepContext(dry_run=dry_run, store=store)
    ctx.report.step = info.name
    if ctx.store is not None and not logs:  # the input is the store's logs
        from inspect_flow._store import store_inputs

        logs, expand_paths = store_inputs(ctx.store), False
    with active(ctx):  # before reading: the run's version tokens are recorded in its session
        try:
            selection = (filter, exclude, recursive, expand_paths, part, batch)
            _run(ctx, info, logs, *selection, args, kwargs)
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
    shard: Shard | None,
    batch_size: int | None,
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
    if shard is not None:
        if not given and not locations:
            raise NoLogsError()
        given, locations = _shard(ctx, shard, given, locations)
    includes, excludes = _filters(filter), _filters(exclude)
    if batch_size is not None:
        batches = (given, locations, includes, excludes, batch_size, shard is not None)
        _run_batches(ctx, info, *batches, args, kwargs)
        return
    headers: list[EvalLog] | None = None
    if includes or excludes:
        headers = given + _read(ctx, locations)
        headers = apply_filters(headers, includes, excludes, ctx.report)
        count = len(headers)
    else:
        count = len(given) + len(locations)
    if count == 0 and shard is None:  # an empty part of a sharded run is not an error
        raise NoLogsError()
    if headers is None:
        headers = given + _read(ctx, sorted(locations))
    _call_and_commit(ctx, info, headers, args, kwargs)


def _call_and_commit(
    ctx: StepContext,
    info: StepInfo,
    headers: list[EvalLog],
    args: Sequence[Any],
    kwargs: dict[str, Any],
) -> None:
    """Call the step on ``headers`` (sorted by location), commit, and report the untouched logs."""
    headers.sort(key=lambda log: log.location)
    if headers:
        invoke(info, headers, args, kwargs)
    ctx.flush()
    report = ctx.report  # O(1) per log: with batches, the report holds every earlier batch too
    for log in headers:
        if not report.has(log.location) and log.location not in report.covered:
            report.record(log.location, "unchanged")


def _run_batches(
    ctx: StepContext,
    info: StepInfo,
    given: list[EvalLog],
    locations: list[str],
    includes: list[tuple[str, LogFilter]],
    excludes: list[tuple[str, LogFilter]],
    batch_size: int,
    sharded: bool,
    args: Sequence[Any],
    kwargs: dict[str, Any],
) -> None:
    """Run the step over consecutive batches of ``batch_size`` logs, each its own transaction.

    Each batch is read, filtered, given to the step and committed (all or nothing) before the next
    is read; then the run's session forgets it, so memory holds one batch's headers at a time. A
    failed commit ends the run: the batches before it stay written.
    """
    if not given and not locations:
        raise NoLogsError()
    # One list of the whole selection (a location, or a given EvalLog): all that is kept per
    # log beyond the report while the batches run.
    pending: list[str | EvalLog] = [*given, *locations]
    pending.sort(key=lambda item: item if isinstance(item, str) else item.location or "")
    counts: dict[tuple[str, str], list[int]] = {}  # (kind, name) -> [kept, before]
    kept = 0
    for start in range(0, len(pending), batch_size):
        batch = pending[start : start + batch_size]
        headers = [log for log in batch if not isinstance(log, str)]
        headers += _read(ctx, [loc for loc in batch if isinstance(loc, str)])
        if includes or excludes:
            headers = filter_logs(headers, includes, excludes, counts)
        kept += len(headers)
        _call_and_commit(ctx, info, headers, args, kwargs)
        ctx.session.close()  # the batch's states and cached bodies: not needed any more
    for (kind, name), (after, before) in counts.items():
        _note_filter(ctx.report, kind, name, after, before)
    if kept == 0 and not sharded:
        raise NoLogsError()


def _shard(
    ctx: StepContext, shard: Shard, given: list[EvalLog], locations: list[str]
) -> tuple[list[EvalLog], list[str]]:
    """Keep the logs of ``shard`` and note ``Shard I/N: k of n logs``.

    Before the filters, so each machine reads only its part's headers: a log's part depends on
    its location alone, so this selects what sharding the filtered logs would.
    """
    total = len(given) + len(locations)
    given = [
        log for log in given if in_shard(normalize(log.location) if log.location else "", shard)
    ]
    locations = [location for location in locations if in_shard(location, shard)]
    index, count = shard
    kept = len(given) + len(locations)
    ctx.report.note("shard", "plain", f"Shard {index}/{count}: {kept} of {total} logs")
    return given, locations


def _check_batch_size(size: object) -> int:
    if not isinstance(size, int) or isinstance(size, bool) or size < 1:
        raise FlowUsageError(f"Invalid batch size {size!r}: expected a whole number >= 1")
    return size


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
    counts: dict[tuple[str, str], list[int]] = {}
    logs = filter_logs(logs, includes, excludes, counts)
    for (kind, name), (after, before) in counts.items():
        _note_filter(report, kind, name, after, before)
    return logs


def filter_logs(
    logs: list[EvalLog],
    includes: list[tuple[str, LogFilter]],
    excludes: list[tuple[str, LogFilter]],
    counts: dict[tuple[str, str], list[int]],
) -> list[EvalLog]:
    """Apply the filters; add each filter's ``[kept, before]`` to ``counts`` (keyed by kind, name).

    The same filter given twice counts once per use.
    """
    from inspect_flow._filters import apply_filter

    for index, (name, func) in enumerate(includes):
        before = len(logs)
        logs = [log for log in logs if apply_filter(name, func, log)]
        _count(counts, ("filter", f"{index}\0{name}"), len(logs), before)
    for index, (name, func) in enumerate(excludes):
        before = len(logs)
        logs = [log for log in logs if not apply_filter(name, func, log)]
        _count(counts, ("exclude", f"{index}\0{name}"), len(logs), before)
    return logs


def _count(
    counts: dict[tuple[str, str], list[int]], key: tuple[str, str], kept: int, before: int
) -> None:
    total = counts.setdefault(key, [0, 0])
    total[0] += kept
    total[1] += before


def _note_filter(report: StepReport, kind: str, key: str, after: int, before: int) -> None:
    name = key.split("\0", 1)[1]
    if kind == "filter":
        report.note("filter", "plain", f"Filter: {name} — {after}/{before} logs matched")
    else:
        report.note("exclude", "plain", f"Exclude: {name} — {after}/{before} logs remaining")
