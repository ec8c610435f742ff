"""``flow list log`` output: the multiline default, ``--oneline``, ``--format tree`` and JSON.

Every function returns text; the command prints it (or pages it). Paths are friendly: relative
to the CWD when under it, ``file://`` dropped.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from inspect_flow._list import Edit, Listing, LogEntry
from inspect_flow._logs import basename, display_path

_LABEL = 10  # "Status    " — the multiline format's label column
_GAP = "  "
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
# SGR codes of what is coloured on a terminal: the number, the task, the status
_COLOURS = {
    "index": "1",
    "task": "36",
    "success": "32",
    "error": "31",
    "cancelled": "33",
    "started": "34",
    "unreadable": "31",
    "missing": "33",
}


def _paint(text: str, kind: str, colour: bool) -> str:
    """Colour the non-blank part of ``text`` (padding stays outside the codes)."""
    content = text.strip()
    code = _COLOURS.get(kind)
    if not colour or not code or not content:
        return text
    return text.replace(content, f"\x1b[{code}m{content}\x1b[0m", 1)


def _visible(text: str) -> int:
    return len(_ANSI.sub("", text))


def duration(entry: LogEntry) -> str:
    """Return ``Ns``, ``Mm SSs`` or ``Hh MMm SSs`` from start to end ('' when unknown)."""
    start, end = entry.started_at, entry.completed_at
    if start is None or end is None:
        return ""
    seconds = max(0, int((end - start).total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m {secs:02d}s"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


def _date(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S %z")


def samples(entry: LogEntry) -> str:
    """Return ``valid/total`` (just ``valid`` when the total is unknown; '' when unread)."""
    if entry.samples is None:
        return ""
    if entry.total_samples is None:
        return str(entry.samples)
    return f"{entry.samples}/{entry.total_samples}"


def _provenance(edit: Edit) -> str:
    parts = [edit.author, _date(edit.timestamp)]
    if edit.reason:
        parts.append(edit.reason)
    return ", ".join(parts)


def _status(entry: LogEntry, colour: bool) -> str:
    status = _paint(entry.status, entry.status, colour)
    if entry.state == "missing":
        return f"{status} (no longer exists)"
    if entry.state == "unreadable":
        return f"{status}: {entry.error}"
    count = samples(entry)
    return f"{status}, {count} samples" if count else status


def multiline(listing: Listing, provenance: bool = False, colour: bool = False) -> list[str]:
    """Render the default format: a block of labelled lines per log, each followed by a blank.

    ``colour`` adds terminal colours (number, task, status).
    """
    lines: list[str] = []

    def field(label: str, value: str) -> None:
        lines.append(f"{label:<{_LABEL}}{value}".rstrip())

    for number, entry in enumerate(listing.entries, start=1):
        index = _paint(f"[{number}]", "index", colour)
        lines.append(f"{index} {display_path(entry.location)}")
        if entry.log is not None:
            task = _paint(entry.task or "", "task", colour)
            field("Task", " ".join(p for p in (task, entry.qualifier) if p))
            if entry.started_at is not None:
                took = duration(entry)
                field("Date", _date(entry.started_at) + (f", {took}" if took else ""))
            if entry.tags:
                field("Tags", ", ".join(entry.tags))
            if provenance:
                for edit in entry.edits:
                    field("Edit", "; ".join(edit.changes))
                    field("", _provenance(edit))
        field("Status", _status(entry, colour))
        if entry.viewer_url:
            field("Viewer", entry.viewer_url)
        lines.append("")
    return lines


def _cells(entry: LogEntry, number: int, name_only: bool) -> list[str]:
    path = basename(entry.location) if name_only else display_path(entry.location)
    if entry.log is None:
        note = "no longer exists" if entry.state == "missing" else entry.error or ""
        return [f"[{number}]", "", "", entry.state, "", "", "", path, note]
    return [
        f"[{number}]",
        entry.task or "",
        entry.qualifier,
        entry.status,
        samples(entry),
        duration(entry),
        ", ".join(entry.tags),
        path,
        entry.viewer_url or "",
    ]


_RIGHT = {4, 5}  # samples and duration are right-aligned


def _rows(listing: Listing, name_only: bool, colour: bool) -> list[list[str]]:
    """Aligned oneline cells per entry (columns empty in every row dropped), maybe coloured."""
    raw = [_cells(e, n, name_only) for n, e in enumerate(listing.entries, start=1)]
    if not raw:
        return []
    keep = [i for i in range(len(raw[0])) if any(row[i] for row in raw)]
    widths = {i: max(len(row[i]) for row in raw) for i in keep}
    last = keep[-1]
    rows = []
    kinds = {0: "index", 1: "task"}
    for row in raw:
        cells = []
        for i in keep:
            if i in _RIGHT:
                cell = row[i].rjust(widths[i])
            elif i == last:
                cell = row[i]
            else:
                cell = row[i].ljust(widths[i])
            cells.append(_paint(cell, row[3] if i == 3 else kinds.get(i, ""), colour))
        rows.append(cells)
    return rows


def _wrap(cells: list[str], width: int, indent: int) -> list[str]:
    """Join cells with two spaces; a cell that would pass ``width`` starts an indented line."""
    lines: list[str] = []
    current = cells[0]
    for cell in cells[1:]:
        if not cell.strip():
            current += _GAP + cell
            continue
        if _visible((current + _GAP + cell).rstrip()) > width and current.strip():
            lines.append(current.rstrip())
            current = " " * indent + cell.strip()
        else:
            current += _GAP + cell
    lines.append(current.rstrip())
    return lines


def _edit_lines(entry: LogEntry, indent: int) -> list[str]:
    pad = " " * indent
    return [f"{pad}edit  {'; '.join(e.changes)}  ({_provenance(e)})" for e in entry.edits]


def oneline(
    listing: Listing, width: int, provenance: bool = False, colour: bool = False
) -> list[str]:
    """Render one row per log, wrapped onto indented continuation lines past ``width``."""
    lines: list[str] = []
    rows = _rows(listing, name_only=False, colour=colour)
    for entry, cells in zip(listing.entries, rows, strict=True):
        indent = _visible(cells[0]) + len(_GAP)
        lines.extend(_wrap(cells, width, indent))
        if provenance:
            lines.extend(_edit_lines(entry, indent))
    return lines


def tree(listing: Listing, width: int, provenance: bool = False, colour: bool = False) -> list[str]:
    """Render a tree rooted at the logs' common folder; each leaf is a oneline row (file name).

    A leaf wider than ``width`` wraps like a oneline row, under its branch.
    """
    if not listing.entries:
        return []
    rows = _rows(listing, name_only=True, colour=colour)
    split = [display_path(e.location).rsplit("/", 1)[0].split("/") for e in listing.entries]
    common = split[0]
    for parts in split[1:]:
        size = 0
        while size < min(len(common), len(parts)) and common[size] == parts[size]:
            size += 1
        common = common[:size]
    root: dict[str, Any] = {}
    for entry, cells, parts in zip(listing.entries, rows, split, strict=True):
        node = root
        for part in parts[len(common) :]:
            node = node.setdefault(part, {})
        node.setdefault("", []).append((entry, cells))
    lines = ["/".join(common) or "."]
    _branch(root, "", lines, width, provenance)
    return lines


def _branch(
    node: dict[str, Any], prefix: str, lines: list[str], width: int, provenance: bool
) -> None:
    children: list[tuple[Any, Any]] = list(node.get("", []))
    children += [(name, sub) for name, sub in node.items() if name != ""]
    for index, (head, sub) in enumerate(children):
        last = index == len(children) - 1
        inner = prefix + ("    " if last else "│   ")
        connector = prefix + ("└── " if last else "├── ")
        if isinstance(sub, dict):
            lines.append(f"{connector}{head}")
            _branch(sub, inner, lines, width, provenance)
            continue
        indent = _visible(sub[0]) + len(_GAP)
        wrapped = _wrap(sub, width - len(connector), indent)
        lines.append(connector + wrapped[0])
        lines.extend(inner + more for more in wrapped[1:])
        if provenance:
            lines.extend(inner + edit for edit in _edit_lines(head, indent))


def to_json(listing: Listing) -> dict[str, Any]:
    """Return the JSON document: ``logs``, then ``unreadable``, ``missing`` and ``summary``."""
    logs = []
    for entry in listing.entries:
        if entry.log is None:
            continue
        stats = entry.log.stats
        logs.append(
            {
                "task": entry.task,
                "log_file": display_path(entry.location),
                "status": entry.status,
                "model": entry.model,
                "samples": entry.samples,
                "total_samples": entry.total_samples,
                "started_at": stats.started_at or None,
                "completed_at": stats.completed_at or None,
                "tags": entry.tags,
                "viewer_url": entry.viewer_url,
                "log_updates": [
                    update.model_dump(mode="json") for update in entry.log.log_updates or []
                ],
            }
        )
    unreadable = [
        {"log_file": display_path(e.location), "error": e.error} for e in listing.unreadable
    ]
    missing = [{"log_file": display_path(e.location)} for e in listing.missing]
    return {
        "logs": logs,
        "unreadable": unreadable,
        "missing": missing,
        "summary": {"listed": len(logs), "unreadable": len(unreadable), "missing": len(missing)},
    }
