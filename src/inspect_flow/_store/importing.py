"""Finding the logs an import names, and their task identifiers (read through the storage seam)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from inspect_flow._errors import FlowUsageError, PathNotFoundError
from inspect_flow._logs import expand_paths, list_log_files, normalize, read_headers

if TYPE_CHECKING:
    from inspect_ai.log import EvalLog


def collect(
    user_paths: Sequence[str], recursive: bool, base_dir: str | None = None
) -> tuple[list[str], dict[str, str]]:
    """Expand import PATHs into log locations; a bad PATH is reported, never fatal.

    Args:
        user_paths: Files or directories (local or ``s3://``).
        recursive: Whether directories are searched recursively.
        base_dir: Directory relative paths are resolved against (default: the CWD).

    Returns:
        The locations found (listing order, no duplicates) and, per PATH that gave nothing,
        the reason (it does not exist, it is not a log, a directory holds no logs).
    """
    found: dict[str, None] = {}
    skipped: dict[str, str] = {}
    for user_path in user_paths:
        try:
            locations = expand_paths([user_path], recursive=recursive, base_dir=base_dir)
        except PathNotFoundError:
            skipped[user_path] = f"Path {user_path} does not exist"
            continue
        except FlowUsageError as exc:
            skipped[user_path] = str(exc)
            continue
        if not locations:
            skipped[user_path] = f"No logs found in directory: {user_path}"
        for location in locations:
            found.setdefault(location, None)
    return list(found), skipped


def list_directory(directory: str, recursive: bool) -> list[str]:
    """Return the logs in a directory (``[]`` when it does not exist or holds none)."""
    return list_log_files(normalize(directory), recursive=recursive)


def identify(
    locations: Sequence[str], description: str = "Reading logs"
) -> tuple[dict[str, str], dict[str, str]]:
    """Read headers concurrently and compute each log's task identifier.

    Returns:
        Location → task identifier for every readable log (input order), and location → reason
        for every log that could not be read.
    """
    result = read_headers(list(locations), description=description)
    identifiers: dict[str, str] = {}
    errors = dict(result.errors)
    for log in result.logs:
        try:
            identifiers[log.location] = identifier_of(log)
        except Exception as exc:  # a header inspect_ai cannot identify is not importable
            errors[log.location] = f"cannot compute its task identifier: {exc}"
    return identifiers, errors


def identifier_of(log: EvalLog) -> str:
    """Return inspect_ai's task identifier of a log header (what ``task_identifier_3`` holds)."""
    from inspect_ai import task_identifier

    return str(task_identifier(log, None))
