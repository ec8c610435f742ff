"""The Delta Lake store (the one ``FlowStore`` implementation), compatible with Flow 0.14's."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from inspect_flow import _output
from inspect_flow._logs import display_path, is_local, local_path, normalize
from inspect_flow._store import location, table
from inspect_flow._store.base import FlowStore, ImportResult, RemoveResult
from inspect_flow._store.importing import collect, identify


class DeltaFlowStore(FlowStore):
    """A store: the Delta table at ``<root>/flow_store/_table_logs``.

    Every operation reads the table's newest snapshot, so other writers' rows are seen. A store
    opened without creating it may not exist yet: reads see it empty, and the first write creates
    it (a dry run never does).

    Attributes:
        filter: A store-level filter (``FlowStoreConfig.filter``) applied by ``get_logs`` and
            ``remove_log_prefix``; a per-call filter cannot be combined with it.
    """

    def __init__(self, root: str, filter: Any = None) -> None:
        self._root = root
        self._uri = location.table_uri(root)
        self._options = location.storage_options(root)
        self.filter = filter

    # -- properties -------------------------------------------------------------------------

    @property
    def store_path(self) -> str:
        """The store root: a local path, or the ``s3://`` URL."""
        return local_path(self._root) if is_local(self._root) else self._root

    @property
    def root(self) -> str:
        """The store root as a normalised URI."""
        return self._root

    @property
    def table_uri(self) -> str:
        """Where the Delta table lives."""
        return self._uri

    @property
    def version(self) -> str:
        """The table's format version (ours when the table does not exist yet)."""
        found = self._open()
        return table.table_version(found) if found is not None else table.TABLE_VERSION

    def exists(self) -> bool:
        """Return True when the store's table exists."""
        return self._open() is not None

    def create(self) -> None:
        """Create the empty table if it does not exist."""
        if self._open() is None:
            table.create_table(self._uri, self._options)

    def _open(self) -> Any:
        return table.open_table(self._uri, self._options)

    # -- reading ----------------------------------------------------------------------------

    def rows(self) -> list[tuple[str, str | None]]:
        """Return every ``(stored log_path, task identifier)`` row, as stored."""
        found = self._open()
        return table.read_rows(found) if found is not None else []

    def get_logs(self, filter: Any = None, exclude: Any = None) -> set[str]:
        """Return the normalised locations of every indexed log.

        Rows an older writer stored non-normalised (``/a/../b``) are returned once, normalised.
        With filters (``filter``: all must pass; ``exclude``: none may pass; or the store-level
        filter), headers are read concurrently and only logs passing them are returned; logs
        that cannot be read are reported and left out.
        """
        found = self._open()
        normal, others = table.read_paths(found) if found is not None else ([], [])
        locations = set(normal)
        locations.update(normalize(path) for path in others)
        specs = self._filter_specs(filter, exclude)
        if specs is None:
            return locations
        kept, unreadable = filter_locations(sorted(locations), specs, None)
        for where, reason in unreadable.items():
            _output.warn(f"Could not read log {display_path(where)}: {reason}")
        return set(kept)

    def identifiers(self) -> dict[str, str | None]:
        """Return normalised location → task identifier (None when never computed).

        Rows written before identifiers existed (a migrated table) have none; see
        ``update_identifiers``.
        """
        result: dict[str, str | None] = {}
        for path, ident in self.rows():
            key = stored_location(path)
            if ident or key not in result:
                result[key] = ident or None
        return result

    def update_identifiers(self) -> int:
        """Compute the task identifier of rows that have none (Flow 0.14's migration step).

        Adds the ``task_identifier_3`` column to an older table, reads the headers of rows with a
        null or empty identifier, and merges the identifiers in on ``log_path``.

        Returns:
            How many rows got an identifier.
        """
        found = self._open()
        if found is None:
            return 0
        table.migrate_schema(found)
        stored = [path for path, ident in table.read_rows(found) if not ident]
        if not stored:
            return 0
        _output.err("\nUpdating store task identifiers")
        by_location: dict[str, list[str]] = {}
        for path in stored:  # rows of one log stored in several spellings all get its identifier
            by_location.setdefault(stored_location(path), []).append(path)
        identifiers, _ = identify(list(by_location), description="Updating identifiers")
        updates = {raw: ident for loc, ident in identifiers.items() for raw in by_location[loc]}
        table.set_identifiers(self._uri, self._options, updates)
        return len(updates)

    # -- importing --------------------------------------------------------------------------

    def import_log_path(
        self,
        log_path: str | Sequence[str],
        recursive: bool = False,
        dry_run: bool = False,
        verbose: bool = False,
    ) -> ImportResult:
        """Index log files and the logs in directories; see ``FlowStore.import_log_path``."""
        paths = [log_path] if isinstance(log_path, str) else list(log_path)
        _output.err("\nImporting logs to store")
        locations, skipped = collect(paths, recursive)
        for reason in skipped.values():
            _output.error(reason)
        if verbose:
            for where in locations:
                _output.out(display_path(where))
        result = self.import_locations(locations, dry_run=dry_run)
        for where, reason in result.skipped.items():
            _output.error(f"Could not read log {display_path(where)}: {reason}")
        result.skipped = {**skipped, **result.skipped}
        report_import(result)
        return result

    def import_locations(self, locations: Iterable[str], dry_run: bool = False) -> ImportResult:
        """Index these log locations (files, already expanded); prints nothing.

        A log the store already indexes under the same normalised path (with a task identifier)
        is not read again: a header edit never changes a log's task identity, so re-indexing
        what a step just wrote costs one table read. Other logs are read (concurrently) for their
        task identifier; unreadable ones are skipped and reported in the result.
        """
        wanted = list(dict.fromkeys(stored_location(where) for where in locations))
        result = ImportResult(dry_run=dry_run)
        if not wanted:
            return result
        known = {stored_location(path) for path, ident in self.rows() if ident}
        to_read = [where for where in wanted if where not in known]
        result.already = len(wanted) - len(to_read)
        if not to_read:
            return result
        identifiers, result.skipped = identify(to_read)
        result.imported = list(identifiers)
        if identifiers and not dry_run:
            table.append_rows(self._uri, self._options, list(identifiers.items()))
        return result

    # -- removing ---------------------------------------------------------------------------

    def remove_log_prefix(
        self,
        prefix: str | Sequence[str],
        missing: bool = False,
        recursive: bool = False,
        dry_run: bool = False,
        verbose: bool = True,
        filter: Any = None,
        exclude: Any = None,
    ) -> RemoveResult:
        """Remove logs by location or directory prefix, or those that no longer exist.

        A prefix matches a location exactly, or as a directory: whole path components only
        (``logs`` never matches ``logs_1/...``); without ``recursive`` only logs directly in that
        directory. ``filter``/``exclude`` (or the store-level filter) then narrow the selection.
        """
        from inspect_flow._store.removing import select

        prefixes = [prefix] if isinstance(prefix, str) else list(prefix)
        _output.err("\nRemoving logs from store")
        specs = self._filter_specs(filter, exclude)
        rows = self.rows()
        chosen, unreadable = select(rows, prefixes, missing, recursive, specs)
        result = RemoveResult(sorted(chosen), unreadable, dry_run)
        for where, reason in unreadable.items():
            _output.warn(f"Could not read log {display_path(where)} (kept): {reason}")
        if not chosen:
            _output.warn("No logs found to remove from store")
            return result
        if verbose:
            for where in result.removed:
                _output.out(display_path(where))
        if dry_run:
            _output.out(f"[DRY RUN] Would remove {_logs(len(chosen))} from store")
            return result
        stored = [path for path, _ in rows if stored_location(path) in chosen]
        table.delete_paths(self._uri, self._options, sorted(set(stored)))
        _output.success(f"Removed {_logs(len(chosen))} from store", to_stdout=True)
        return result

    # -- filters ----------------------------------------------------------------------------

    def _filter_specs(self, filter: Any, exclude: Any = None) -> FilterSpecs | None:
        if (filter or exclude) and self.filter:
            raise ValueError("Cannot specify both a per-call filter and a store-level filter.")
        include = filter or self.filter
        if not include and not exclude:
            return None
        return FilterSpecs(include, exclude)


class FilterSpecs:
    """Include and exclude filter specs (names, ``file.py@name``, callables, or lists of them)."""

    def __init__(self, include: Any, exclude: Any) -> None:
        self.include = include
        self.exclude = exclude


def filter_locations(
    locations: list[str], specs: FilterSpecs, base_dir: str | None
) -> tuple[list[str], dict[str, str]]:
    """Read headers and keep the locations passing every include and no exclude filter.

    Returns:
        The locations kept (input order) and location → reason for unreadable logs.
    """
    from inspect_flow._filters import passes_filters, resolve_filters
    from inspect_flow._logs import read_headers

    include = resolve_filters(specs.include or None, base_dir)
    exclude = resolve_filters(specs.exclude or None, base_dir)
    result = read_headers(locations)
    kept = {log.location for log in result.logs if passes_filters(log, include, exclude)}
    return [where for where in locations if where in kept], dict(result.errors)


def report_import(result: ImportResult, to_stdout: bool = True) -> None:
    """Print an import's closing line (``✓ Imported N new logs to store``, or a dry-run one).

    Args:
        result: The import.
        to_stdout: Print the result on stdout (the data of ``flow store import``); on stderr
            when it is a side note of another command (a step run).
    """
    count = len(result.imported)
    if result.dry_run:
        _output.out(f"[DRY RUN] Would import {count} new {_plural(count)} to store")
    elif count:
        _output.success(f"Imported {count} new {_plural(count)} to store", to_stdout=to_stdout)
    else:
        _output.warn("Imported 0 new logs to store")


def _plural(count: int) -> str:
    return "log" if count == 1 else "logs"


def _logs(count: int) -> str:
    return f"{count} {_plural(count)}"


def stored_location(path: str) -> str:
    """Return the normalised form of a stored ``log_path`` (cheap for already-normal ones).

    Rows written here are normalised URIs already; only rows an older writer stored as typed
    (``/a/../b``, relative paths, doubled slashes) go through ``normalize``.
    """
    if path.startswith("file:///") or path.startswith("s3://"):
        rest = path[8:] if path.startswith("file:///") else path[5:]
        if "/." not in rest and "//" not in rest and not rest.endswith("/"):
            return path
    return normalize(path)
