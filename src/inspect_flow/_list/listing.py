"""``list_logs`` and ``list_entries``: which logs exist, in listing order, with what they hold.

The order, and ``since``/``until``, come from file names alone (``inspect_flow._list.order``).
Headers are read only for the logs that may be shown: with ``max_count`` they are read in growing
batches, in listing order, until enough logs pass the selection, so ``-n 10`` over a folder of 10k
timestamped logs reads about 10 headers. Sample counts beyond the header (logs without results)
come from the sample summaries of the logs shown, never from whole samples.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from inspect_flow._errors import FlowUsageError
from inspect_flow._filters import LogFilter, passes_filters, resolve_filters
from inspect_flow._list.entries import LogEntry, ViewerUrls, edits_of, qualify, total_samples
from inspect_flow._list.order import parse_date, sort_locations, within
from inspect_flow._logs import expand_paths, is_local, local_path, normalize, read_headers
from inspect_flow._runtime import ensure_initialised

if TYPE_CHECKING:
    from inspect_ai.log import EvalLog

STATUSES = ("success", "error", "cancelled", "started")
_FIRST_BATCH = 16
_GONE = ("no longer exists", "not found", "nosuchkey")


@dataclass
class Selection:
    """What a log must be to be listed (every kind given must match; patterns are globs).

    Attributes:
        task: Patterns for the task name (any may match).
        model: Patterns for the model (any may match).
        tag: Patterns for the log's tags (any tag matching any pattern).
        status: Statuses (any).
        include: Log filters that must all pass.
        exclude: Log filters none of which may pass.
    """

    task: Sequence[str] = ()
    model: Sequence[str] = ()
    tag: Sequence[str] = ()
    status: Sequence[str] = ()
    include: list[tuple[str, LogFilter]] = field(default_factory=list)
    exclude: list[tuple[str, LogFilter]] = field(default_factory=list)

    @property
    def active(self) -> bool:
        """Whether anything in the header decides if a log is listed."""
        return bool(
            self.task or self.model or self.tag or self.status or self.include or self.exclude
        )

    def matches(self, log: EvalLog) -> bool:
        """Return True when ``log``'s header passes every part of the selection."""
        if self.task and not _any_match(log.eval.task, self.task):
            return False
        if self.model and not _any_match(log.eval.model, self.model):
            return False
        if self.tag and not any(_any_match(t, self.tag) for t in log.tags or []):
            return False
        if self.status and log.status not in self.status:
            return False
        return passes_filters(log, self.include, self.exclude)


def _any_match(value: str, patterns: Sequence[str]) -> bool:
    return any(fnmatch.fnmatchcase(value, pattern) for pattern in patterns)


@dataclass
class Listing:
    """The result of ``list_entries``.

    Attributes:
        entries: The logs listed, in listing order (unreadable and missing ones included).
        source: The folder listed (URI), or the store's path.
        from_store: Whether the logs came from the Flow Store.
    """

    entries: list[LogEntry]
    source: str
    from_store: bool = False

    @property
    def unreadable(self) -> list[LogEntry]:
        """The entries whose header could not be read."""
        return [e for e in self.entries if e.state == "unreadable"]

    @property
    def missing(self) -> list[LogEntry]:
        """Store paths that no longer exist."""
        return [e for e in self.entries if e.state == "missing"]


def list_logs(
    log_dir: str | None = None,
    store: Any = "auto",
    since: str | datetime | None = None,
    until: str | datetime | None = None,
) -> list[str]:
    """List logs in listing order, without reading them.

    Args:
        log_dir: A folder (local or ``s3://``), listed recursively; the store is then ignored.
        store: Without ``log_dir``, the Flow Store to list: a path, ``auto`` (the default store)
            or a ``FlowStore``.
        since: Only logs whose file-name time is at or after this (a datetime, naive = UTC, or
            a date in words such as ``2026-11-26`` or ``yesterday``).
        until: Only logs whose file-name time is at or before this.

    Returns:
        Log locations (``file:///…`` for local logs), grouped by folder, newest first.

    Raises:
        PathNotFoundError: ``log_dir`` does not exist.
        FlowUsageError: A date cannot be parsed.
        StoreNotFoundError: No ``log_dir`` and no store at ``store``.
    """
    ensure_initialised()
    start, end = parse_date(since), parse_date(until)
    locations, _, _ = _sources(log_dir, store)
    return within(sort_locations(locations), start, end)


def list_entries(
    log_dir: str | None = None,
    *,
    store: Any = "auto",
    since: str | datetime | None = None,
    until: str | datetime | None = None,
    task: Sequence[str] = (),
    model: Sequence[str] = (),
    tag: Sequence[str] = (),
    status: Sequence[str] = (),
    filter: Any = None,
    exclude: Any = None,
    max_count: int | None = None,
) -> Listing:
    """List logs with what their headers say, for ``flow list log``.

    Args:
        log_dir: See ``list_logs``.
        store: See ``list_logs``.
        since: See ``list_logs``.
        until: See ``list_logs``.
        task: Globs on the task name (any may match).
        model: Globs on the model (any may match).
        tag: Globs on the current tags (any tag may match any glob).
        status: Statuses to keep (``success``, ``error``, ``cancelled``, ``started``).
        filter: Log filter(s) that must all pass (callables, names, ``file.py@name``).
        exclude: Log filter(s) that remove the logs they pass.
        max_count: List at most this many logs (the first ones in listing order).

    Raises:
        PathNotFoundError: ``log_dir`` does not exist.
        FlowUsageError: A bad date, status, count or filter name.
        FilterFailedError: A log filter raised.
        StoreNotFoundError: No ``log_dir`` and no store at ``store``.
    """
    ensure_initialised()
    bad = sorted(set(status) - set(STATUSES))
    if bad:
        raise FlowUsageError(f"Unknown status {bad[0]!r} (one of {', '.join(STATUSES)})")
    if max_count is not None and max_count < 0:
        raise FlowUsageError(f"The maximum count must be 0 or more, not {max_count}")
    start, end = parse_date(since), parse_date(until)
    selection = Selection(
        task, model, tag, status, resolve_filters(filter), resolve_filters(exclude)
    )
    locations, source, from_store = _sources(log_dir, store)
    ordered = within(sort_locations(locations), start, end)
    entries = _select(ordered, selection, max_count, from_store)
    _complete(entries)
    return Listing(entries, source, from_store)


def _sources(log_dir: str | None, store: Any) -> tuple[list[str], str, bool]:
    """Return (locations, what was listed, whether from the store)."""
    if log_dir is not None:
        return expand_paths([log_dir]), normalize(log_dir), False
    flow_store = _open_store(store)
    found = [normalize(path) for path in flow_store.get_logs()]
    return found, str(getattr(flow_store, "store_path", store)), True


def _open_store(store: Any) -> Any:
    """Return the ``FlowStore`` to list: given, or opened (never created) from a path/``auto``."""
    from inspect_flow._store import as_store

    found = as_store(store, create=False)
    if found is None:
        raise FlowUsageError("No PATH and no store: give a PATH to list, or a --store")
    return found


def _select(
    ordered: list[str], selection: Selection, max_count: int | None, from_store: bool
) -> list[LogEntry]:
    """Read headers in listing order until ``max_count`` logs pass (all of them without one)."""
    chosen: list[LogEntry] = []
    position = 0
    if max_count is None:
        batch = len(ordered)
    else:  # every log read is listed unless a selection may reject it
        batch = max(max_count, _FIRST_BATCH) if selection.active else max_count
    while position < len(ordered) and (max_count is None or len(chosen) < max_count) and batch:
        chunk = ordered[position : position + batch]
        position += len(chunk)
        batch *= 2  # few logs passed: read further ahead next time
        read = read_headers(chunk)
        headers = {str(log.location): log for log in read.logs}
        for location in chunk:
            if max_count is not None and len(chosen) >= max_count:
                break
            log = headers.get(location)
            if log is None:
                chosen.append(_unread(location, read.errors.get(location, ""), from_store))
            elif selection.matches(log):
                chosen.append(LogEntry(location, log=log))
    return chosen


def _unread(location: str, error: str, from_store: bool) -> LogEntry:
    """Return the entry of a log whose header could not be read: missing (store) or unreadable."""
    if from_store:
        if is_local(location):
            import os

            gone = not os.path.exists(local_path(location))
        else:  # the seam's "Log no longer exists: …", or the storage's own "not found"
            gone = any(word in error.lower() for word in _GONE)
        if gone:
            return LogEntry(location, state="missing", error="no longer exists")
    return LogEntry(location, state="unreadable", error=error or "could not be read")


def _complete(entries: list[LogEntry]) -> None:
    """Fill sample counts, edits, qualifiers and viewer URLs of the entries read."""
    from inspect_flow._check.counting import valid_samples_all

    readable = [(e, e.log) for e in entries if e.log is not None]
    counts = valid_samples_all([(log, log.eval.config.epochs or 1, None) for _, log in readable])
    viewer = ViewerUrls()
    for (entry, log), count in zip(readable, counts, strict=True):
        entry.samples = count
        entry.total_samples = total_samples(log)
        entry.edits = edits_of(log)
        entry.viewer_url = viewer.url(entry.location)
    qualify(entries)
