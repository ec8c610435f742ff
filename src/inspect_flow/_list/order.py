"""The order of a listing and the dates in log file names (no log is opened here).

inspect_ai names logs ``<ISO timestamp>_<task>_<id>.eval``, so a listing can be sorted, and cut
by ``since``/``until``, from the names alone. Logs are grouped by directory: directories whose first
file name carries a timestamp come first, newest first; the others follow in ascending order.
Inside a directory, timestamped names come first (descending), then the others (ascending).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone

from inspect_flow._errors import FlowUsageError
from inspect_flow._logs import basename, dirname

_NAME_TIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})T(\d{2})[-:](\d{2})[-:](\d{2})(?:\.\d+)?"
    r"(?:(Z)|([+-])(\d{2})[-:]?(\d{2}))?"
)


def name_timestamp(location: str) -> datetime | None:
    """Return the time at the start of a log's file name (UTC when it names no offset), or None."""
    match = _NAME_TIME.match(basename(location))
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    tz = timezone.utc
    if match.group(8):
        offset = timedelta(hours=int(match.group(9)), minutes=int(match.group(10)))
        tz = timezone(offset if match.group(8) == "+" else -offset)
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=tz)
    except ValueError:  # 2026-13-45: shaped like a timestamp, but not one
        return None


def sort_locations(locations: Sequence[str]) -> list[str]:
    """Sort log locations into listing order (see the module docstring); duplicates dropped."""
    groups: dict[str, list[str]] = {}
    for location in dict.fromkeys(locations):
        groups.setdefault(dirname(location), []).append(location)
    ordered: list[tuple[str, list[str]]] = []
    for directory, members in groups.items():
        stamped = sorted((m for m in members if _stamped(m)), key=basename, reverse=True)
        others = sorted((m for m in members if not _stamped(m)), key=basename)
        ordered.append((directory, stamped + others))
    with_time = sorted(
        (g for g in ordered if _stamped(g[1][0])), key=lambda g: basename(g[1][0]), reverse=True
    )
    without = sorted((g for g in ordered if not _stamped(g[1][0])), key=lambda g: g[0])
    return [location for _, members in with_time + without for location in members]


def _stamped(location: str) -> bool:
    return name_timestamp(location) is not None


def within(locations: Sequence[str], since: datetime | None, until: datetime | None) -> list[str]:
    """Keep the logs whose file-name time is in ``[since, until]`` (all of them when both are None).

    With either bound set, a log whose name carries no time is left out.
    """
    if since is None and until is None:
        return list(locations)
    kept = []
    for location in locations:
        stamp = name_timestamp(location)
        if stamp is None:
            continue
        if (since is None or stamp >= since) and (until is None or stamp <= until):
            kept.append(location)
    return kept


def parse_date(value: str | datetime | None) -> datetime | None:
    """Turn a ``since``/``until`` value into an aware datetime.

    Args:
        value: A datetime (a naive one is taken as UTC), or a date in words as ``dateparser``
            reads it (``2026-11-26``, ``2026-11-26 07:00 +0100``, ``yesterday``, ``3 days ago``;
            a time without an offset is local time), or None.

    Raises:
        FlowUsageError: The text is not a date.
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)
    import dateparser

    parsed: datetime | None = dateparser.parse(value, settings={"RETURN_AS_TIMEZONE_AWARE": True})
    if parsed is None:
        raise FlowUsageError(f"Cannot parse date: {value!r}")
    return parsed
