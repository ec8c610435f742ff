"""Where a run writes: the spec's log dir, a unique timestamped folder in it, or a resumed one.

With ``log_dir_create_unique`` each run gets its own folder ``<log_dir>/2026-04-14T10-30-00``
(UTC, to the second; ``-2``, ``-3``... when that name is taken). ``--resume`` continues an earlier
run instead: the folder named in the handle file when one is given and exists, otherwise the
newest timestamped folder of the log dir. A handle file records the folder a run writes to, so
scripts can find it (``DEV=$(cat handle)``) and a later ``--resume`` continues it.
"""

from __future__ import annotations

import os
import re
from datetime import datetime, timezone

from inspect_flow._errors import FlowUsageError

_RUN_FOLDER = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}(-\d+)?$")


def run_folder_name(now: datetime) -> str:
    """Return the name of a unique run folder made at ``now`` (``2026-04-14T10-30-00``)."""
    return now.astimezone(timezone.utc).strftime("%Y-%m-%dT%H-%M-%S")


def resolve_run_dir(
    location: str,
    *,
    unique: bool,
    resume: bool,
    handle_file: str | None,
    now: datetime | None = None,
) -> str:
    """Return the folder (URI) a run writes to.

    Args:
        location: The log dir (URI).
        unique: Create (or, with ``resume``, reuse) a timestamped folder inside ``location``.
        resume: Continue an earlier run rather than start a new folder.
        handle_file: A handle file written by an earlier run (read only with ``resume``).
        now: The time the run starts (default: now).

    Raises:
        FlowUsageError: ``resume`` with a unique log dir but no earlier run to continue.

    """
    from inspect_flow._logs import join, list_dirs

    if resume:
        previous = read_handle(handle_file) if handle_file else None
        if previous is not None:
            return previous
        if not unique:
            return location
        runs = [name for name in list_dirs(location) if _RUN_FOLDER.match(name)]
        if not runs:
            raise FlowUsageError(f"Nothing to resume: no earlier run folder in {_shown(location)}")
        return join(location, max(runs, key=_order))
    if not unique:
        return location
    name = run_folder_name(now or datetime.now(timezone.utc))
    taken = set(list_dirs(location))
    candidate, count = name, 1
    while candidate in taken:
        count += 1
        candidate = f"{name}-{count}"
    return join(location, candidate)


def _order(name: str) -> tuple[str, int]:
    stamp, _, suffix = name[:19], name[19:20], name[20:]
    return stamp, int(suffix) if suffix else 1


def read_handle(handle_file: str) -> str | None:
    """Return the run folder (URI) recorded in a handle file, or None when there is none."""
    from inspect_flow._logs import normalize

    try:
        with open(handle_file, encoding="utf-8") as f:
            text = f.read().strip()
    except FileNotFoundError:
        return None
    return normalize(text) if text else None


def write_handle(handle_file: str, run_dir: str) -> None:
    """Record the run folder in a handle file (one line: a local path or a URL)."""
    from inspect_flow._logs import write_text

    write_text(os.path.abspath(handle_file), user_path(run_dir) + "\n")


def user_path(location: str) -> str:
    """Return a location as users pass it around: a local path, or the URL."""
    from inspect_flow._logs import is_local, local_path

    return local_path(location) if is_local(location) else location


def _shown(location: str) -> str:
    from inspect_flow._logs import display_path

    return display_path(location)
