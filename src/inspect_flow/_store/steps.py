"""The store in step runs: input logs from a store, and indexing what a run wrote."""

from __future__ import annotations

from typing import TYPE_CHECKING

from inspect_flow._errors import one_line

if TYPE_CHECKING:
    from inspect_flow._steps.report import StepReport
    from inspect_flow._store.base import FlowStore

# Report statuses whose location holds a log this run wrote (or a copy destination it found).
_WRITTEN = frozenset({"written", "copied"})


def store_inputs(store: FlowStore) -> list[str]:
    """Return a store's logs as step inputs (sorted; the step pipeline applies filters)."""
    return sorted(store.get_logs())


def written_locations(report: StepReport) -> list[str]:
    """Return the locations a run wrote: edited logs, copies, and copy destinations it skipped.

    A skipped copy destination already holds a copy of the source, and indexing the copies is
    what ``copy`` with a store is for, so it is indexed too.
    """
    found: list[str] = []
    for entry in report.logs:
        if entry.status in _WRITTEN or (
            entry.status == "skipped" and entry.detail.startswith("from ")
        ):
            found.append(entry.location)
    return found


def index_written(store: FlowStore | None, report: StepReport) -> None:
    """Index every log a finished run wrote into ``store``; record the outcome in ``report``.

    Called after the outermost commit. A store failure never undoes or hides the writes: it is
    recorded as ``report.store_error`` (which makes the run fail) and the logs stay written.
    """
    if store is None or report.dry_run:
        return
    from inspect_flow import _output
    from inspect_flow._store.delta import DeltaFlowStore, report_import

    locations = written_locations(report)
    _output.err("\nImporting logs to store")
    try:
        if isinstance(store, DeltaFlowStore):
            result = store.import_locations(locations)
        else:  # another FlowStore implementation: its own import
            result = store.import_log_path(locations, verbose=False)
    except Exception as exc:  # the logs are written; the failure is the store's alone
        report.store_error = f"Could not index the written logs in the store: {one_line(exc)}"
        _output.error(report.store_error)
        return
    report.indexed = list(result.imported)
    for where, reason in result.skipped.items():
        report.store_error = "Some written logs could not be indexed in the store"
        _output.error(f"Not indexed: {where}: {reason}")
    report_import(result, to_stdout=False)
