"""The ``copy`` step's logic: destination naming, planning, dry-run preview, skips.

A copy is planned, not made: the step context makes it at the outermost exit, in the same
all-or-nothing batch as the header edits (see ``context.py``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING

from inspect_flow._errors import FlowUsageError
from inspect_flow._logs import (
    basename,
    check_copy_plan,
    display_path,
    existing_logs,
    inside,
    join,
    normalize,
    read_headers,
)
from inspect_flow._steps.context import StepContext, current
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

    Raises:
        FlowUsageError: The destination would not be inside ``dest`` (an S3 key with ``../``
            segments below the prefix), or the new name holds a ``/`` (``suffix``, ``rename``).
    """
    rel_dir = ""
    if source_prefix:
        prefix = _strip_scheme(normalize(source_prefix)).rstrip("/") + "/"
        source = _strip_scheme(location)
        if source.startswith(prefix):
            rel_dir = os.path.dirname(source[len(prefix) :])
    name = basename(location)
    if rename is not None:
        name = rename(name)
    elif suffix:
        stem, ext = os.path.splitext(name)
        name = f"{stem}{suffix}{ext}"
    if "/" in name or name in ("", ".", ".."):
        raise FlowUsageError(f"A copy's file name must be a plain name, not {name!r}.")
    root = normalize(dest)
    target = join(root, rel_dir, name)
    if not inside(root, target):
        raise FlowUsageError(
            f"Refusing to copy {display_path(location)} outside the destination "
            f"{display_path(root)}: {display_path(target)}"
        )
    return target


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
    """Plan copies of logs to ``dest``; returns the destination headers, not marked modified.

    Each copy is made at the outermost exit with the destination's header as the run left it
    (the source's edits made before the copy included). Without ``overwrite`` a destination that
    exists now is skipped and left untouched; its own header is returned.
    """
    if not dest:
        raise FlowUsageError("Missing destination: 'dest' is required.")
    if suffix and rename is not None:
        raise FlowUsageError("Provide either suffix or rename, not both.")
    ctx = current()
    assert ctx is not None  # copy only runs through the step wrapper
    plan = [(log, destination(log.location, dest, source_prefix, suffix, rename)) for log in logs]
    check_copy_plan([(log.location, target) for log, target in plan])
    ctx.report.covered.update(log.location for log in logs)  # reported through their copies
    if ctx.dry_run:
        for log, target in plan:
            ctx.report.record(target, "would copy", f"from {display_path(log.location)}")
        return StepResult([log.model_copy(update={"location": t}) for log, t in plan], False)
    taken: set[str] = set()
    if not overwrite:
        targets = [t for _, t in plan]
        taken = existing_logs([t for t in targets if t not in ctx.copies]) | (
            set(targets) & set(ctx.copies)
        )
    found: dict[str, EvalLog] = {}
    for log, target in plan:
        if target in taken:
            ctx.report.record(target, "skipped", f"from {display_path(log.location)}")
            ctx.report.note(
                "skipped", "warn", f"Skipping (already exists): {display_path(target)}", target
            )
        else:
            found[target] = ctx.plan_copy(log, target, overwrite)
    found.update(_skipped_headers(ctx, [t for _, t in plan if t in taken]))
    return StepResult([found[t] for _, t in plan if t in found], modified=False)


def _skipped_headers(ctx: StepContext, skipped: list[str]) -> dict[str, EvalLog]:
    """Read the headers of skipped destinations (other logs, left as they are)."""
    planned = {t: ctx.copies[t] for t in skipped if t in ctx.copies}
    found: dict[str, EvalLog] = {
        t: ctx.dirty_header(c, list(ctx.dirty.values())) for t, c in planned.items()
    }
    to_read = [t for t in skipped if t not in planned]
    if to_read:
        result = read_headers(to_read, description="Reading copies", session=ctx.session)
        for location, reason in result.errors.items():
            ctx.report.note(
                "unreadable-copy",
                "warn",
                f"Could not read copied log {display_path(location)}: {reason}",
                location,
            )
        found.update((log.location, log) for log in result.logs)
    return found
