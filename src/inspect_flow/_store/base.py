"""``FlowStore``: the abstract store API (as in Flow 0.14) and the results its operations return."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass
class ImportResult:
    """What an import did.

    Attributes:
        imported: Locations of the new rows (or, in a dry run, of the rows that would be added).
        already: Logs found that the store already indexed (same path and task identifier).
        skipped: Path or location → one-line reason, for everything that could not be imported
            (a missing path, an empty directory, an unreadable log, a file that is not a log).
        dry_run: Whether nothing was written.
    """

    imported: list[str] = field(default_factory=list)
    already: int = 0
    skipped: dict[str, str] = field(default_factory=dict)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        """True when nothing was skipped."""
        return not self.skipped

    def to_json(self) -> dict[str, Any]:
        """Return the machine-readable form."""
        return {
            "imported": list(self.imported),
            "already_indexed": self.already,
            "skipped": dict(self.skipped),
            "dry_run": self.dry_run,
        }


@dataclass
class RemoveResult:
    """What a removal did.

    Attributes:
        removed: The locations removed (or, in a dry run, that would be removed), sorted.
        unreadable: Locations whose header could not be read to apply a filter (kept).
        dry_run: Whether nothing was written.
    """

    removed: list[str] = field(default_factory=list)
    unreadable: dict[str, str] = field(default_factory=dict)
    dry_run: bool = False


class FlowStore(abc.ABC):
    """An index of eval log locations shared by a team (local or on S3).

    The only implementation is the Delta Lake store, compatible with Flow 0.14's; get one with
    ``store_get``.
    """

    @property
    @abc.abstractmethod
    def store_path(self) -> str:
        """The store root (the directory holding ``flow_store``), as a URI."""

    @property
    @abc.abstractmethod
    def version(self) -> str:
        """The store table's format version (e.g. ``0.2.0``)."""

    @abc.abstractmethod
    def import_log_path(
        self,
        log_path: str | Sequence[str],
        recursive: bool = False,
        dry_run: bool = False,
        verbose: bool = False,
    ) -> ImportResult:
        """Index logs: files, or the logs in directories (local or S3).

        A path that does not exist, a directory without logs, or a log that cannot be read is
        reported and skipped; the rest is imported.
        """

    @abc.abstractmethod
    def get_logs(self, filter: Any = None) -> set[str]:
        """Return the locations of every indexed log, optionally only those passing ``filter``."""

    @abc.abstractmethod
    def remove_log_prefix(
        self,
        prefix: str | Sequence[str],
        missing: bool = False,
        recursive: bool = False,
        dry_run: bool = False,
        verbose: bool = True,
        filter: Any = None,
    ) -> RemoveResult:
        """Remove logs by location or directory prefix (whole path components), or missing ones."""
