"""The report of a step run: what happened to each log, and every notice of the run.

Per log: written, copied, unchanged, skipped, unreadable or failed. Notices: filter counts,
skipped destinations, unreadable logs, leftovers of killed runs removed or kept.

The library prints none of it: notices are data. A run hands each notice, as it is recorded, to
the *presenter* in effect (:func:`presenting`): the CLI installs its renderer; a Python caller
gets the default one, which shows it on stderr the way Flow 0.14 does.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from inspect_flow._logs import display_path

Status = Literal[
    "written",
    "unchanged",
    "skipped",
    "unreadable",
    "conflict",
    "failed",
    "not written",
    "would write",
    "copied",
    "would copy",
]

# Statuses that make a run end with a non-zero exit code.
FAILURE_STATUSES = frozenset({"unreadable", "conflict", "failed", "not written"})
# Order of the summary line.
_SUMMARY_ORDER: tuple[Status, ...] = (
    "would write",
    "would copy",
    "written",
    "copied",
    "unchanged",
    "skipped",
    "unreadable",
    "conflict",
    "failed",
    "not written",
)


NoticeKind = Literal[
    "dry-run",
    "shard",
    "filter",
    "exclude",
    "unreadable",
    "skipped",
    "unreadable-copy",
    "cleanup",
    "store",
    "written",
]
Level = Literal["plain", "info", "warn", "error"]


@dataclass
class Notice:
    """One message of a run, as data.

    Attributes:
        kind: What it is about (``filter``, ``skipped``, ``unreadable``, ``cleanup``, ...).
        level: How it is shown: ``plain`` (a status line), ``info`` (ℹ), ``warn`` (⚠) or
            ``error`` (✗).
        message: The text shown.
        location: The log it is about, if any.
    """

    kind: NoticeKind
    level: Level
    message: str
    location: str = ""


Presenter = Callable[[Notice], None]


def show_notice(notice: Notice) -> None:
    """Show a notice on stderr with the icon of its level (the default presenter)."""
    from inspect_flow import _output

    _output.notice(notice.level, notice.message)


_PRESENTER: ContextVar[Presenter] = ContextVar("inspect_flow_presenter", default=show_notice)


@contextmanager
def presenting(presenter: Presenter) -> Iterator[None]:
    """Hand the notices of the runs inside the block to ``presenter`` (the CLI's renderer)."""
    token = _PRESENTER.set(presenter)
    try:
        yield
    finally:
        _PRESENTER.reset(token)


@dataclass(slots=True)
class LogReport:
    """One log's line in the report.

    Attributes:
        location: The log's URI.
        status: What happened to it.
        detail: A one-line reason or description (e.g. the copy source).
        changes: Human-readable changes (``tags +a -b``, ``metadata k: 1 → 2``), for previews.
    """

    location: str
    status: Status
    detail: str = ""
    changes: list[str] = field(default_factory=list)


@dataclass
class StepReport:
    """What a step run did to every log it touched, in the order first touched.

    Attributes:
        step: The name of the outermost step.
        dry_run: Whether writes were skipped.
        logs: One entry per log location.
        notices: Every notice of the run, in order (see :class:`Notice`).
        covered: Input locations accounted for by other entries (the copies made from them), so
            ``run_step`` does not also list them as ``unchanged``.
        store: The Flow Store the run indexed its written logs into (its root), if any.
        indexed: The locations the run added to that store.
        store_error: Why indexing in the store failed (the logs stay written); fails the run.
    """

    step: str = ""
    dry_run: bool = False
    logs: list[LogReport] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    covered: set[str] = field(default_factory=set, repr=False)
    store: str = ""
    indexed: list[str] = field(default_factory=list)
    store_error: str = ""
    presenter: Presenter | None = field(default_factory=_PRESENTER.get, repr=False, compare=False)
    # location -> index in ``logs``: recording stays O(1) per log on runs over many logs.
    _index: dict[str, int] = field(default_factory=dict, repr=False)

    def record(
        self, location: str, status: Status, detail: str = "", changes: list[str] | None = None
    ) -> None:
        """Record (or replace) the entry for ``location``."""
        entry = LogReport(location, status, detail, list(changes or []))
        index = self._index.get(location)
        if index is not None:
            self.logs[index] = entry
            return
        self._index[location] = len(self.logs)
        self.logs.append(entry)

    def note(self, kind: NoticeKind, level: Level, message: str, location: str = "") -> None:
        """Record a notice of the run and hand it to the presenter."""
        notice = Notice(kind, level, message, location)
        self.notices.append(notice)
        if self.presenter is not None:
            self.presenter(notice)

    def written_locations(self) -> list[str]:
        """Return the locations whose bytes this run changed (edits written, copies made)."""
        return [e.location for e in self.logs if e.status in ("written", "copied")]

    def has(self, location: str) -> bool:
        """Return True when ``location`` already has an entry."""
        return location in self._index

    def counts(self) -> dict[str, int]:
        """Return the number of logs per status, in summary order."""
        counter = Counter(entry.status for entry in self.logs)
        return {status: counter[status] for status in _SUMMARY_ORDER if counter[status]}

    @property
    def ok(self) -> bool:
        """True when no log was unreadable, in conflict, failed or held back (or not indexed)."""
        if self.store_error:
            return False
        return not any(entry.status in FAILURE_STATUSES for entry in self.logs)

    def summary(self) -> str:
        """Return the one-line summary, e.g. ``tag: 3 written, 1 unchanged, 1 unreadable``."""
        counts = self.counts()
        parts = [f"{n} {status}" for status, n in counts.items()] or ["no logs"]
        if self.store and not self.dry_run:
            parts.append(f"{len(self.indexed)} indexed in store")
        prefix = "[DRY RUN] " if self.dry_run else ""
        return f"{prefix}{self.step}: {', '.join(parts)}"

    def to_json(self) -> dict[str, Any]:
        """Return the machine-readable report (``--json``)."""
        data: dict[str, Any] = {
            "step": self.step,
            "dry_run": self.dry_run,
            "ok": self.ok,
            "summary": self.counts(),
            "logs": [
                {**asdict(entry), "path": display_path(entry.location)} for entry in self.logs
            ],
            "notices": [
                {**asdict(notice), "path": display_path(notice.location) if notice.location else ""}
                for notice in self.notices
            ],
        }
        if self.store:
            data["store"] = {
                "path": self.store,
                "indexed": list(self.indexed),
                "error": self.store_error or None,
            }
        return data
