"""Concurrent, bounded header reads, with per-path errors instead of exceptions.

Each backend reads its own logs (``local.read``: one event loop, open file objects; ``s3.read``:
tail GETs on the shared s3fs loop). The version tokens are recorded here, in the caller's thread,
in the run's session.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from inspect_flow import _output
from inspect_flow._logs.backend import Backend, backend_for
from inspect_flow._logs.session import Session

if TYPE_CHECKING:
    from inspect_ai.log import EvalLog


@dataclass
class ReadResult:
    """Headers read, in input order, and the locations that could not be read.

    Attributes:
        logs: Header-only EvalLogs (``samples`` is None), ``location`` set to the URI read.
        errors: Location → one-line reason, for every log that could not be read.
    """

    logs: list[EvalLog] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)


def read_headers(
    locations: Sequence[str], description: str = "Reading logs", session: Session | None = None
) -> ReadResult:
    """Read the headers of many logs concurrently.

    Unreadable logs (corrupt, truncated, vanished, not a log) are reported in ``errors`` and never
    modified.

    Args:
        locations: Log URIs (see ``expand_paths``).
        description: The progress bar's label.
        session: The run the read belongs to: each header read records the log's version token
            there for later conditional writes. Without one the read gets its own short-lived
            session (a ``check`` or ``list`` call that keeps nothing).
    """
    if session is None:
        with Session() as own:
            return _read_into(locations, description, own, remember=False)
    return _read_into(locations, description, session, remember=True)


def _read_into(
    locations: Sequence[str], description: str, session: Session, remember: bool
) -> ReadResult:
    # A read that will never write (check, list) records no log states: their fingerprints
    # alone cost a header serialisation per log.
    results: dict[str, EvalLog | str] = {}
    groups: dict[int, tuple[Backend, list[str]]] = {}
    for location in locations:
        try:
            backend = backend_for(location)
        except ValueError as exc:
            results[location] = str(exc)
            continue
        groups.setdefault(id(backend), (backend, []))[1].append(location)
    with _output.progress(description, len(locations)) as advance:
        for backend, group in groups.values():
            for location, outcome in zip(
                group, backend.read_all(group, session, advance), strict=True
            ):
                if isinstance(outcome, str):
                    results[location] = outcome
                else:
                    log, token = outcome
                    if remember:
                        session.remember(log, token)
                    results[location] = log
    result = ReadResult()
    for location in locations:
        found = results[location]
        if isinstance(found, str):
            result.errors[location] = found
        else:
            result.logs.append(found)
    return result
