"""Finding stored logs of tasks (what ``flow run --store-read`` needs): by identity, then the best.

As in Flow 0.14: rows without a task identifier are given one first (an older store's migration);
for each wanted identifier every stored log with exactly that identifier is read; logs that cannot
be read or fail the filters are left out. The best of a task's logs has the most valid samples,
then the latest ``stats.completed_at``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from inspect_flow._logs import count_samples, read_headers

if TYPE_CHECKING:
    from inspect_ai.log import EvalLog

    from inspect_flow._store.delta import DeltaFlowStore


def find_logs(
    store: DeltaFlowStore, identifiers: Iterable[str], filter: Any = None
) -> dict[str, list[EvalLog]]:
    """Return, per wanted task identifier, the readable stored logs (headers) that have it.

    Args:
        store: The store.
        identifiers: ``inspect_ai.task_identifier`` values of the tasks.
        filter: Filter(s) a log must pass (the store-level filter otherwise).

    Returns:
        Identifier → headers (sorted by location); identifiers with no log map to ``[]``.
    """
    from inspect_flow._filters import passes_filters, resolve_filters

    wanted = {ident: [] for ident in identifiers}  # type: dict[str, list[EvalLog]]
    store.update_identifiers()
    by_location = {where: ident for where, ident in store.identifiers().items() if ident in wanted}
    if not by_location:
        return wanted
    include = resolve_filters(filter if filter is not None else store.filter or None)
    result = read_headers(sorted(by_location))
    for log in result.logs:
        if passes_filters(log, include):
            ident = by_location[log.location]
            wanted[ident].append(log)
    return wanted


def best_log(logs: Sequence[EvalLog]) -> EvalLog | None:
    """Return the log with the most valid samples (ties: the latest ``completed_at``)."""
    if len(logs) <= 1:
        return logs[0] if logs else None
    counts = count_samples([(log.location, "valid") for log in logs])

    def rank(index: int) -> tuple[int, str]:
        count = counts[index]
        stats = logs[index].stats
        completed = str(stats.completed_at or "") if stats is not None else ""
        return (count if isinstance(count, int) else -1, completed)

    return logs[max(range(len(logs)), key=rank)]
