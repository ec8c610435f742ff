"""How ``flow run`` uses the Flow Store: find reusable logs before a run, index logs after it.

The settings are the spec's ``store`` field (a location, or a ``FlowStoreConfig``) after the
command-line options were applied to it (``inspect_flow._spec.runopts``), else the defaults: the
default store (``auto``), reading off, writing on. ``none`` means no store.

Reading: every stored log is matched to the spec's tasks the way ``flow check`` matches a log
directory (same identity, same counting of valid samples, the store filters applied); the best
log of each task (most valid samples, then the most recently completed) is the candidate, and it
is copied into the run folder when it beats the task's best log there (one all-or-nothing batch
of the storage seam).
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from inspect_flow._check import CheckResult
    from inspect_flow._spec.instantiate import SpecTask
    from inspect_flow._spec.models import FlowSpec


@dataclass
class StoreUse:
    """The store settings of one run.

    Attributes:
        location: The store root as given (``auto``, or an absolute path or URL); None: no store.
        read: Reuse matching logs from the store.
        write: Index the run's completed logs in the store.
        filters: Filters a stored log must pass to be reused.

    """

    location: str | None
    read: bool = False
    write: bool = True
    filters: list[Any] = field(default_factory=list)


def store_use(spec: FlowSpec, base_dir: str) -> StoreUse:
    """Return the store settings of a spec (after the command-line options were applied to it).

    Args:
        spec: The expanded spec; its ``store`` is ``auto``, a path (relative to ``base_dir``),
            a ``FlowStoreConfig`` (``path=None``: no store), or unset (the defaults).
        base_dir: The spec's folder.

    """
    from inspect_flow._spec.models import store_config

    config = store_config(spec)
    if config is None:
        return StoreUse(location="auto")
    location = _absolute(config.path, base_dir) if config.path is not None else None
    if location is not None and location.lower() == "none":
        location = None
    filters = config.filter
    if isinstance(filters, str) or callable(filters):
        filters = [filters]
    return StoreUse(
        location=location, read=config.read, write=config.write, filters=list(filters or [])
    )


def _absolute(path: str, base_dir: str) -> str:
    from inspect_flow._logs import has_scheme

    if path.lower() in ("auto", "none") or has_scheme(path) or os.path.isabs(path):
        return path
    return os.path.normpath(os.path.join(base_dir, os.path.expanduser(path)))


def open_store(location: str, *, create: bool) -> Any:
    """Open the store at ``location``; None when it does not exist and ``create`` is False."""
    from inspect_flow._errors import StoreNotFoundError
    from inspect_flow._store import store_get

    try:
        return store_get(location, create=create)
    except StoreNotFoundError:
        if create:
            raise
        return None


def store_matches(
    use: StoreUse, spec_tasks: list[SpecTask], base_dir: str
) -> tuple[CheckResult | None, int]:
    """Match the store's logs to the spec's tasks.

    Only stored logs whose task identifier could belong to a spec task are read (and those the
    store has no identifier for); ``match_logs`` then matches them exactly.

    Returns:
        The match (None when the store does not exist) and how many stored logs were read.

    """
    from inspect_flow._check import match_logs
    from inspect_flow._filters import resolve_filters
    from inspect_flow._logs import read_headers

    assert use.location is not None
    store = open_store(use.location, create=False)
    if store is None:
        return None, 0
    identifiers = getattr(store, "identifiers", None)
    if identifiers is not None:
        wanted = {t.identity.rest for t in spec_tasks}
        known: dict[str, str | None] = identifiers()
        locations = sorted(
            where
            for where, ident in known.items()
            if ident is None or any(ident.endswith(rest) for rest in wanted)
        )
    else:  # another FlowStore implementation: every log
        locations = sorted(store.get_logs())
    read = read_headers(locations, "Reading store logs")
    includes = resolve_filters(use.filters or None, base_dir)
    # logs the store lists but cannot be read are skipped, as in Flow 0.14
    result = match_logs(spec_tasks, read.logs, {}, use.location, includes, [])
    return result, len(read.logs)


def index_logs(use: StoreUse, locations: list[str]) -> Any:
    """Index ``locations`` in the store (created when missing); return its ``ImportResult``."""
    assert use.location is not None
    store = open_store(use.location, create=True)
    quiet_import = getattr(store, "import_locations", None)
    if quiet_import is not None:
        return quiet_import(locations)
    return store.import_log_path(locations, recursive=False)


def store_message(found: int, dry_run: bool) -> str:
    logs = f"{found} existing log{'s' if found != 1 else ''} in store"
    if not found:
        return "No matching logs in store"
    then = " (dry run: nothing copied)" if dry_run else ". Copying to log directory"
    return f"Found {logs}{then}"


def merge_store_logs(
    table: CheckResult, use: StoreUse, run_dir: str, base: str, dry_run: bool
) -> tuple[CheckResult, list[tuple[str, str]], int] | None:
    """Put the store's better logs into the table; return it, the copies to make and logs read.

    Returns None when the store does not exist.
    """
    from inspect_flow._logs import basename, join
    from inspect_flow._run.store import store_matches

    found, read = store_matches(use, table.spec_tasks, base)
    if found is None:
        return None
    tasks = list(table.tasks)
    copies: list[tuple[str, str]] = []
    for index, (mine, theirs) in enumerate(zip(table.tasks, found.tasks, strict=True)):
        source = theirs.log_file
        if mine.complete or source is None or theirs.samples <= mine.samples:
            continue
        if source.startswith(run_dir.rstrip("/") + "/"):
            continue  # already in the run folder, so already matched
        dest = join(run_dir, basename(source))
        copies.append((source, dest))
        tasks[index] = dataclasses.replace(
            mine,
            log_file=source if dry_run else dest,
            samples=theirs.samples,
            tags=theirs.tags,
            reason=theirs.reason,
            duplicate_logs=[*([mine.log_file] if mine.log_file else []), *mine.duplicate_logs],
        )
    result = dataclasses.replace(table, tasks=tasks, is_complete=all(t.complete for t in tasks))
    return result, copies, read


def copy_from_store(copies: list[tuple[str, str]]) -> list[str]:
    """Copy store logs into the run folder, all or nothing (an existing destination is kept).

    Raises:
        FlowError: A store log cannot be read any more.
        CommitError: A copy failed; none of the copies were left behind.

    """
    if not copies:
        return []
    from inspect_flow._errors import FlowError
    from inspect_flow._logs import copy_absent, display_path

    def unreadable(source: str, reason: str) -> None:
        raise FlowError(f"Could not read the store's log {display_path(source)}: {reason}")

    _, copied = copy_absent(copies, on_unreadable=unreadable)
    return [dest for _, dest in copies if dest in copied]
