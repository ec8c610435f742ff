"""The ``copy`` step's logic: destination naming, dry-run preview, reporting."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING

from inspect_flow import _output
from inspect_flow._errors import CommitError, FlowUsageError
from inspect_flow._logs import (
    CopyOutcome,
    check_plan,
    copy_logs,
    fingerprint,
    paths,
    read_headers,
    remember,
    state_of,
)
from inspect_flow._steps.context import current
from inspect_flow._steps.step import StepResult

if TYPE_CHECKING:
    from inspect_ai.log import EvalLog


def destination(
    location: str,
    dest: str,
    source_prefix: str | None,
    suffix: str | None,
    rename: Callable[[str], str] | None,
) -> str:
    """Return the destination location of one log.

    Without ``source_prefix`` the copy is flat (``dest/<name>``). With it, the path below the prefix
    is kept; the prefix matches whole path components (``logs/a`` does not match
    ``logs/ab/x.eval``), and a log outside the prefix is copied flat.
    """
    rel_dir = ""
    if source_prefix:
        prefix = _strip_scheme(paths.normalize(source_prefix)).rstrip("/") + "/"
        source = _strip_scheme(location)
        if source.startswith(prefix):
            rel_dir = os.path.dirname(source[len(prefix) :])
    name = paths.basename(location)
    if rename is not None:
        name = rename(name)
    elif suffix:
        stem, ext = os.path.splitext(name)
        name = f"{stem}{suffix}{ext}"
    return paths.join(paths.normalize(dest), rel_dir, name)


def _strip_scheme(location: str) -> str:
    return location.split("://", 1)[1] if "://" in location else location


def copy_step(
    logs: list[EvalLog],
    dest: str,
    source_prefix: str | None,
    suffix: str | None,
    rename: Callable[[str], str] | None,
    overwrite: bool,
) -> StepResult:
    """Copy logs to ``dest``; returns the destination headers, not marked modified.

    Pending edits are written first (the copies must include them). Skipped destinations are left
    untouched, and the copies are never rewritten afterwards.
    """
    if not dest:
        raise FlowUsageError("Missing destination: 'dest' is required.")
    if suffix and rename is not None:
        raise FlowUsageError("Provide either suffix or rename, not both.")
    ctx = current()
    assert ctx is not None  # copy only runs through the step wrapper
    ctx.flush()
    plan = [(log, destination(log.location, dest, source_prefix, suffix, rename)) for log in logs]
    check_plan([(log.location, target) for log, target in plan])
    ctx.report.covered.update(log.location for log in logs)  # reported through their copies
    if ctx.dry_run:
        for log, target in plan:
            ctx.report.record(target, "would copy", f"from {paths.display_path(log.location)}")
        return StepResult([log.model_copy(update={"location": t}) for log, t in plan], False)
    try:
        outcomes = copy_logs([(log.location, t, log.etag) for log, t in plan], overwrite)
    except CommitError as exc:
        for failed in exc.outcomes:
            ctx.report.record(failed.dest, failed.status, failed.detail)
        raise
    for outcome in outcomes:
        shown = paths.display_path(outcome.dest)
        if outcome.status == "skipped":
            _output.warn(f"Skipping (already exists): {shown}")
        ctx.report.record(
            outcome.dest, outcome.status, f"from {paths.display_path(outcome.source)}"
        )
    sources = {log.location: log for log in logs}
    return StepResult(_destination_logs(sources, outcomes), modified=False)


def _destination_logs(sources: dict[str, EvalLog], outcomes: list[CopyOutcome]) -> list[EvalLog]:
    """Return the destination headers, in plan order.

    A fresh copy is byte-identical to its source, so when the in-memory source header is exactly
    what is on storage (its fingerprint matches the recorded state) the copy's header is the
    source's with a new location and version token: no re-read. Skipped destinations are other
    files and are read.
    """
    found: dict[str, EvalLog] = {}
    to_read: list[str] = []
    for outcome in outcomes:
        source = sources[outcome.source]
        state = state_of(source.location)
        if (
            outcome.status == "copied"
            and state is not None
            and state.fingerprint == fingerprint(source)
        ):
            copy = source.model_copy(deep=True, update={"location": outcome.dest})
            copy.etag = outcome.token if isinstance(outcome.token, str) else None
            remember(copy, outcome.token)
            found[outcome.dest] = copy
        else:
            to_read.append(outcome.dest)
    if to_read:
        result = read_headers(to_read, description="Reading copies")
        for location, reason in result.errors.items():
            _output.warn(f"Could not read copied log {paths.display_path(location)}: {reason}")
        found.update((log.location, log) for log in result.logs)
    return [found[o.dest] for o in outcomes if o.dest in found]
