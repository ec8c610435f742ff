"""The store in step runs: input logs from a store, and indexing what a run wrote."""

from __future__ import annotations

from typing import TYPE_CHECKING

from inspect_flow._errors import one_line

if TYPE_CHECKING:
    from inspect_flow._steps.report import StepReport
    from inspect_flow._store.base import FlowStore


def store_inputs(store: FlowStore) -> list[str]:
    """Return a store's logs as step inputs (sorted; the step pipeline applies filters)."""
    return sorted(store.get_logs())


def written_locations(report: StepReport) -> list[str]:
    """Return the locations a run wrote: edited logs, copies, and copy destinations it skipped.

    A skipped copy destination already holds a copy of the source, and indexing the copies is
    what ``copy`` with a store is for, so it is indexed too.
    """
    skipped_copies = [
        entry.location
        for entry in report.logs
        if entry.status == "skipped" and entry.detail.startswith("from ")
    ]
    return report.written_locations() + skipped_copies


def index_written(store: FlowStore | None, report: StepReport) -> None:
    """Index every log a finished run wrote into ``store``; record the outcome in ``report``.

    Called after the outermost commit. A store failure never undoes or hides the writes: it is
    recorded as ``report.store_error`` (which makes the run fail) and the logs stay written.
    What happens is told through the report's notices (kind ``store``).
    """
    if store is None or report.dry_run:
        return
    from inspect_flow._logs import display_path
    from inspect_flow._store.delta import DeltaFlowStore

    locations = written_locations(report)
    report.note("store", "plain", "Importing logs to store")
    try:
        if isinstance(store, DeltaFlowStore):
            result = store.import_locations(locations)
        else:  # another FlowStore implementation: its own import
            result = store.import_log_path(locations, verbose=False)
    except Exception as exc:  # the logs are written; the failure is the store's alone
        report.store_error = f"Could not index the written logs in the store: {one_line(exc)}"
        report.note("store", "error", report.store_error)
        return
    report.indexed = list(result.imported)
    for where, reason in result.skipped.items():
        report.store_error = "Some written logs could not be indexed in the store"
        report.note("store", "error", f"Not indexed: {display_path(where)}: {reason}", where)
    count = len(result.imported)
    if count:
        plural = "log" if count == 1 else "logs"
        report.note("store", "plain", f"✓ Imported {count} new {plural} to store")
    else:
        report.note("store", "warn", "Imported 0 new logs to store")
