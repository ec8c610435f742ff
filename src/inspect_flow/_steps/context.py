"""The step context: the run's session, the dirty logs, the planned copies, the nesting depth.

The outermost step call (or ``run_step``) opens a context; nested calls share it. Header edits and
copies are written when the outermost call returns normally (or at a ``flush``), together, as one
all-or-nothing batch. If an exception escapes, nothing that was deferred is written: no edit and no
copy. The context owns the run's :class:`~inspect_flow._logs.Session` (version tokens, cached S3
bodies), which dies with it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from inspect_flow._errors import CommitError, CommitInterrupted, FlowUsageError
from inspect_flow._logs import CopyRequest, Outcome, Session, commit_batch, display_path
from inspect_flow._logs.live import live_reason
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
        copies: Copies to make at the outermost exit, by destination, in the order planned.
        report: The per-log report of the run.
        session: The run's state of every log it read or wrote.
    """

    dry_run: bool = False
    store: Any = None
    depth: int = 0
    dirty: dict[str, EvalLog] = field(default_factory=dict)
    copies: dict[str, CopyRequest] = field(default_factory=dict)
    report: StepReport = field(default_factory=StepReport)
    session: Session = field(default_factory=lambda: Session(keep_bodies=True))

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

    def plan_copy(self, source: EvalLog, dest: str, overwrite: bool) -> EvalLog:
        """Plan a copy of ``source`` to ``dest``; return the destination's header.

        The copy is made at the outermost exit with the header the destination has then (later
        steps may edit it). A source that is itself a planned copy is copied from its own source.
        """
        header = independent_copy(source)
        header.location = dest
        header.etag = None
        planned = self.copies.get(source.location)
        if planned is not None:
            origin, etag = planned.source, planned.source_etag
        else:
            origin, etag = source.location, source.etag
        self.copies[dest] = CopyRequest(origin, dest, header, overwrite, etag)
        self.session.remember(header, None)  # what later edits of the copy are compared with
        return header

    def flush(self) -> None:
        """Write every dirty log and make every planned copy now (all or nothing).

        In a dry run, preview the edits instead.

        Raises:
            CommitError: A write could not be made; none of this batch was changed.
        """
        logs = list(self.dirty.values())
        copies = list(self.copies.values())
        self.dirty.clear()
        self.copies.clear()
        if not logs and not copies:
            return
        session = self.session
        changes = {log.location: describe_changes(log, self) for log in logs}
        if self.dry_run:
            for log in logs:
                state = session.state_of(log.location)
                live = live_reason(log, state.token if state is not None else None)
                if not session.needs_write(log):
                    self.report.record(log.location, "unchanged")
                elif live is not None:  # as the real run will: not written
                    self._record(Outcome(log.location, "skipped", live), changes)
                else:
                    self.report.record(log.location, "would write", changes=changes[log.location])
            return
        planned = {c.dest for c in copies}
        for copy in copies:  # the destination's header as the run left it
            copy.header = self.dirty_header(copy, logs)
        edits = [log for log in logs if log.location not in planned]
        try:
            outcomes = commit_batch(edits, copies, session)
        except (CommitError, CommitInterrupted) as exc:
            for outcome in exc.outcomes:
                self._record(outcome, changes)
            raise
        finally:
            self.note_cleanup()
        for outcome in outcomes:
            self._record(outcome, changes)

    def dirty_header(self, copy: CopyRequest, logs: list[EvalLog]) -> EvalLog:
        """Return the destination header of a planned copy, with the edits later steps made."""
        for log in logs:
            if log.location == copy.dest:
                return log
        return copy.header

    def _record(self, outcome: Outcome, changes: dict[str, list[str]]) -> None:
        detail = outcome.detail
        if outcome.source is not None and outcome.status in ("written", "copied"):
            detail = f"from {display_path(outcome.source)}"
        if outcome.status == "skipped":
            shown = display_path(outcome.location)
            self.report.note("skipped", "warn", f"Skipped {shown}: {detail}", outcome.location)
        if outcome.status == "unchanged":
            if not self.report.has(outcome.location):
                self.report.record(outcome.location, "unchanged")
            return
        self.report.record(
            outcome.location,
            outcome.status,
            detail,
            changes=changes.get(outcome.location) if outcome.status == "written" else None,
        )

    def note_cleanup(self) -> None:
        """Report what the run's sweeps of killed runs' leftovers removed, aborted or kept."""
        for level, message in self.session.cleanup.take():
            self.report.note("cleanup", level, message)

    def record_unreadable(self, errors: dict[str, str]) -> None:
        """Report logs that could not be read (they are never modified)."""
        for location, reason in errors.items():
            self.report.note(
                "unreadable",
                "error",
                f"Could not read log {display_path(location)}: {reason}",
                location,
            )
            self.report.record(location, "unreadable", reason)


def independent_copy(log: EvalLog) -> EvalLog:
    """Return a copy of ``log`` that shares no mutable part with it (edits never cross over).

    Rebuilt from its Python dump (a new dict or list for every container, validated into new
    models): half the time of ``model_copy(deep=True)``'s generic deep copy and far fewer objects
    for the collector. A header a step left invalid falls back to the deep copy (the commit then
    refuses to write it, with the reason).
    """
    from inspect_ai.log import EvalLog

    try:
        return EvalLog.model_validate(log.model_dump(warnings=False))
    except Exception:
        return log.model_copy(deep=True)


def require_no_store(store: Any) -> None:
    """Refuse ``store=`` on a step called inside another step (the outermost call owns it).

    Raises:
        FlowUsageError: ``store`` is not None.
    """
    if store is not None:
        raise FlowUsageError(
            "store= is only taken by the outermost step call (the run's writes are indexed "
            "when it commits); pass it there."
        )


def describe_changes(log: EvalLog, ctx: StepContext) -> list[str]:
    """Describe how ``log``'s header differs from what was read: tags, metadata, other fields."""
    state = ctx.session.state_of(log.location)
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


@contextmanager
def active(ctx: StepContext) -> Iterator[StepContext]:
    """Make ``ctx`` the current context for the block; its session is closed when it ends."""
    token = _CURRENT.set(ctx)
    try:
        yield ctx
    finally:
        _CURRENT.reset(token)
        ctx.session.close()
