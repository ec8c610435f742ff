"""Choosing the rows a ``remove`` takes out: prefixes on path boundaries, missing logs, filters."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from inspect_flow._logs import existing_logs, normalize

if TYPE_CHECKING:
    from inspect_flow._store.delta import FilterSpecs


def select(
    rows: Sequence[tuple[str, str | None]],
    prefixes: Sequence[str],
    missing: bool,
    recursive: bool,
    specs: FilterSpecs | None,
) -> tuple[set[str], dict[str, str]]:
    """Return the normalised locations to remove, and the unreadable ones a filter had to skip."""
    from inspect_flow._store.delta import stored_location

    locations = sorted({stored_location(path) for path, _ in rows})
    chosen: set[str] = set()
    for prefix in prefixes:
        chosen.update(matching(locations, prefix, recursive))
    if missing:
        chosen.update(missing_locations(locations))
    unreadable: dict[str, str] = {}
    if specs is not None and chosen:
        from inspect_flow._store.delta import filter_locations

        kept, unreadable = filter_locations(sorted(chosen), specs, None)
        chosen = set(kept)
    return chosen, unreadable


def matching(locations: Sequence[str], prefix: str, recursive: bool) -> list[str]:
    """Return the locations a prefix names: itself, or logs under it as a directory.

    The prefix matches whole path components: ``logs`` matches ``logs/a.eval`` (and, when
    recursive, ``logs/sub/b.eval``) but never ``logs_1/a.eval``.
    """
    target = normalize(prefix)
    directory = target.rstrip("/") + "/"
    found = []
    for where in locations:
        if where == target:
            found.append(where)
        elif where.startswith(directory):
            if recursive or "/" not in where[len(directory) :]:
                found.append(where)
    return found


def missing_locations(locations: Sequence[str]) -> list[str]:
    """Return the locations whose file no longer exists (S3 checked concurrently, bounded)."""
    if not locations:
        return []
    found = existing_logs(locations)
    return [where for where in locations if where not in found]
