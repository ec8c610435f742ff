"""``copy_absent``: copy logs whose destinations do not exist yet, as one transaction.

What ``flow store import --copy-from`` and ``flow run``'s reuse of store logs both do; the copy
*step* plans its copies itself (later steps see them) and commits them with its other writes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from inspect_flow._logs.batch import CopyRequest, commit_batch
from inspect_flow._logs.listing import existing_logs
from inspect_flow._logs.read import read_headers
from inspect_flow._logs.session import Session


def copy_absent(
    pairs: Sequence[tuple[str, str]], on_unreadable: Callable[[str, str], None]
) -> tuple[set[str], set[str]]:
    """Copy each ``(source, destination)`` whose destination does not exist, all or nothing.

    Args:
        pairs: Normalised source and destination locations.
        on_unreadable: Called with (source, reason) for each source whose header cannot be read,
            before anything is written; it may raise to stop the copy, else that log is left out.

    Returns:
        The destinations that already existed (kept as they are), and those copied.

    Raises:
        CommitError: A copy failed; none of the copies were left behind.
    """
    taken = existing_logs([dest for _, dest in pairs])
    wanted = [(source, dest) for source, dest in pairs if dest not in taken]
    with Session() as session:
        read = read_headers([source for source, _ in wanted], session=session)
        for source, reason in read.errors.items():
            on_unreadable(source, reason)
        headers = {log.location: log for log in read.logs}
        requests = [
            CopyRequest(
                source,
                dest,
                headers[source].model_copy(update={"location": dest}),
                source_etag=headers[source].etag,
            )
            for source, dest in wanted
            if source in headers
        ]
        outcomes = commit_batch([], requests, session)
    return taken, {outcome.location for outcome in outcomes if outcome.changed_storage}
