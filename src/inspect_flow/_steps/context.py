"""The step context: current logs, the dirty set, nesting depth, deferred all-or-nothing writes.

The outermost step call (or ``run_step``) opens a context; nested calls share it. Dirty logs are
written when the outermost call returns normally (or at a ``flush``), as one all-or-nothing batch.
If an exception escapes, nothing that was deferred is written.
"""

from __future__ import annotations

import json
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from inspect_flow import _output
from inspect_flow._errors import CommitError
from inspect_flow._logs import (
    close_scope,
    drop_cached_bodies,
    needs_write,
    open_scope,
    paths,
    scope_open,
    state_of,
    write_headers,
)
from inspect_flow._steps.report import StepReport

if TYPE_CHECKING:
    from inspect_ai.log import EvalLog


@dataclass
class StepContext:
    """State shared by an outermost step call and every step it calls.

    Attributes:
        dry_run: Compute everything, write nothing.
        store: The Flow Store to index written logs into (a FlowStore, ``auto`` or a path,
            opened and created if needed; None or ``none``: no store).
        depth: Current nesting depth (0 outside any step body).
        dirty: Logs to write at the outermost exit, by location, in the order first dirtied.
        report: The per-log report of the run.
    """

    dry_run: bool = False
    store: Any = None
    depth: int = 0
    dirty: dict[str, EvalLog] = field(default_factory=dict)
    report: StepReport = field(default_factory=StepReport)

    def __post_init__(self) -> None:
        self.report.dry_run = self.dry_run
        if self.store is not None:
            from inspect_flow._store import as_store

            self.store = as_store(self.store, create=True)
            if self.store is not None:
                self.report.store = self.store.store_path

    def index_written(self) -> None:
        """Index what the run wrote into its store (after the outermost commit)."""
        from inspect_flow._store import index_written

        index_written(self.store, self.report)

    def mark_dirty(self, logs: list[EvalLog]) -> None:
        """Mark logs as modified: they are written at the outermost exit (or the next flush)."""
        for log in logs:
            if log.location:
                self.dirty[log.location] = log

    def flush(self) -> None:
        """Write every dirty log now (all-or-nothing), or preview them in a dry run.

        Raises:
            CommitError: A log could not be written; none of this batch was changed.
        """
        logs = list(self.dirty.values())
        self.dirty.clear()
        if not logs:
            return
        changes = {log.location: describe_changes(log) for log in logs if needs_write(log)}
        if self.dry_run:
            for log in logs:
                if log.location in changes:
                    self.report.record(log.location, "would write", changes=changes[log.location])
                else:
                    self.report.record(log.location, "unchanged")
            return
        try:
            outcomes = write_headers(logs)
        except CommitError as exc:
            for outcome in exc.outcomes:
                self.report.record(outcome.location, outcome.status, outcome.detail)
            raise
        for outcome in outcomes:
            if outcome.status == "written":
                self.report.record(outcome.location, "written", changes=changes[outcome.location])
            elif not self.report.has(outcome.location):
                self.report.record(outcome.location, "unchanged")

    def record_unreadable(self, errors: dict[str, str]) -> None:
        """Report logs that could not be read (they are never modified)."""
        for location, reason in errors.items():
            _output.error(f"Could not read log {paths.display_path(location)}: {reason}")
            self.report.record(location, "unreadable", reason)


def describe_changes(log: EvalLog) -> list[str]:
    """Describe how ``log``'s header differs from what was read: tags, metadata, other fields."""
    state = state_of(log.location)
    if state is None:
        return ["header rewritten"]
    changes: list[str] = []
    added = [t for t in log.tags if t not in state.tags]
    removed = [t for t in state.tags if t not in log.tags]
    if added or removed:
        changes.append("tags " + " ".join([f"+{t}" for t in added] + [f"-{t}" for t in removed]))
    meta_parts: list[str] = []
    for key, value in log.metadata.items():
        if key not in state.metadata:
            meta_parts.append(f"+{key}={_short(value)}")
        elif state.metadata[key] != value:
            meta_parts.append(f"{key}: {_short(state.metadata[key])} → {_short(value)}")
    meta_parts += [f"-{key}" for key in state.metadata if key not in log.metadata]
    if meta_parts:
        changes.append("metadata " + ", ".join(meta_parts))
    if not changes:
        changes.append("header changed")
    return changes


def _short(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


_CURRENT: ContextVar[StepContext | None] = ContextVar("inspect_flow_step_context", default=None)


def current() -> StepContext | None:
    """Return the step context of the running step, if any."""
    return _CURRENT.get()


def activate(ctx: StepContext) -> Any:
    """Make ``ctx`` the current context; returns a token for :func:`deactivate`.

    It also opens the run's scope of log states (version tokens read and written by this run).
    """
    return _CURRENT.set(ctx), open_scope()


def deactivate(token: Any) -> None:
    """Restore the context that was current before :func:`activate`."""
    ctx_token, scope_token = token
    close_scope(scope_token)
    _CURRENT.reset(ctx_token)
    if not scope_open():  # the outermost run ended: the S3 bodies it kept are not needed now
        drop_cached_bodies()
