"""The built-in steps ``tag``, ``metadata`` and ``copy``, registered exactly like user steps."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from inspect_flow._errors import StepOptionError
from inspect_flow._steps.author import resolve_author
from inspect_flow._steps.step import StepResult, checks_options, step

if TYPE_CHECKING:
    from inspect_ai.log import EvalLog


def _provenance(author: str | None, reason: str | None) -> Any:
    from inspect_ai.log import ProvenanceData

    # One provenance per step call: every log of the call gets the same timestamp.
    return ProvenanceData(author=resolve_author(author), reason=reason or None)


def _unique(values: list[str] | str | None) -> list[str]:
    """Return ``values`` without repeats; a bare string is one value, not its characters."""
    if isinstance(values, str):
        values = [values]
    return list(dict.fromkeys(values or []))


def _check_tag(add: Any = None, remove: Any = None, **_: Any) -> None:
    """Check ``tag``'s options before any log is read."""
    to_add, to_remove = _unique(add), _unique(remove)
    if not to_add and not to_remove:
        raise StepOptionError(
            "At least one of 'add' or 'remove' must be provided.",
            "At least one of --add or --remove must be provided.",
        )
    for option, values in (("add", to_add), ("remove", to_remove)):
        if any(not t.strip() for t in values):
            raise StepOptionError(
                "Tag must be a non-empty string.", f"--{option}: a tag must be a non-empty string."
            )
    both = sorted(_builtin_set(to_add) & _builtin_set(to_remove))
    if both:
        raise StepOptionError(
            f"Tag(s) {set_repr(both)} appear in both tags_add and tags_remove.",
            f"Tag(s) {set_repr(both)} given to both --add and --remove: "
            "give each tag to only one of them.",
        )


def _check_metadata(set: Any = None, remove: Any = None, **_: Any) -> None:  # noqa: A002
    """Check ``metadata``'s options before any log is read."""
    to_set, to_remove = dict(set or {}), _unique(remove)
    if not to_set and not to_remove:
        raise StepOptionError(
            "At least one of 'set' or 'remove' must be provided.",
            "At least one of --set or --remove must be provided.",
        )
    for option, keys in (("set", list(to_set)), ("remove", to_remove)):
        if any(not str(k).strip() for k in keys):
            raise StepOptionError(
                "Metadata key must be a non-empty string.",
                f"--{option}: a metadata key must be a non-empty string.",
            )
    both = sorted(to_set.keys() & _builtin_set(to_remove))
    if both:
        raise StepOptionError(
            f"Metadata key(s) {set_repr(both)} appear in both metadata_set and metadata_remove.",
            f"Metadata key(s) {set_repr(both)} given to both --set and --remove: "
            "give each key to only one of them.",
        )


_builtin_set = set


@step
@checks_options(_check_tag)
def tag(  # noqa: D417 (``logs`` is the input, not an option)
    logs: list[EvalLog],
    *,
    add: list[str] | None = None,
    remove: list[str] | None = None,
    author: str | None = None,
    reason: str | None = None,
) -> list[EvalLog]:
    """Add or remove tags on eval logs.

    Args:
        add: Tags to add.
        remove: Tags to remove.
        author: Provenance author. Defaults to git user.
        reason: Reason for the edit.
    """
    from inspect_ai.log import TagsEdit, edit_eval_log

    to_add = _unique(add)
    to_remove = _unique(remove)
    provenance = _provenance(author, reason)
    edit = TagsEdit(tags_add=to_add, tags_remove=to_remove)
    return [edit_eval_log(log, [edit], provenance) for log in logs]


@step
@checks_options(_check_metadata)
def metadata(  # noqa: D417 (``logs`` is the input, not an option)
    logs: list[EvalLog],
    *,
    set: dict[str, Any] | None = None,
    remove: list[str] | None = None,
    author: str | None = None,
    reason: str | None = None,
) -> list[EvalLog]:
    """Set or delete metadata fields on eval logs.

    Args:
        set: Key-value pairs to set.
        remove: Keys to delete.
        author: Provenance author. Defaults to git user.
        reason: Reason for the edit.
    """
    from inspect_ai.log import MetadataEdit, edit_eval_log

    to_set = dict(set or {})
    to_remove = _unique(remove)
    provenance = _provenance(author, reason)
    edit = MetadataEdit(metadata_set=to_set, metadata_remove=to_remove)
    return [edit_eval_log(log, [edit], provenance) for log in logs]


def set_repr(keys: list[str]) -> str:
    """Render keys the way Python renders a set (``{'k'}``), as the reference's message does."""
    return "{" + ", ".join(repr(k) for k in keys) + "}"


@step
def copy(  # noqa: D417 (``logs`` is the input, not an option)
    logs: list[EvalLog],
    *,
    dest: str,
    source_prefix: str | None = None,
    suffix: str | None = None,
    rename: Callable[[str], str] | None = None,
    overwrite: bool = False,
    store: Any = None,
) -> StepResult:
    """Copy eval logs to a destination directory.

    Args:
        dest: Destination directory (local or S3).
        source_prefix: Directory prefix to strip from source paths. Without this option, files are
            copied flat into the destination. When provided, preserves directory structure relative
            to the prefix.
        suffix: Suffix inserted before the file extension of each copy (e.g. `+realigned` copies
            `probe.eval` to `probe+realigned.eval`). Mutually exclusive with the rename parameter
            (Python API only).
        rename: Function mapping a source file name to a destination file name (Python API only).
        overwrite: Overwrite existing files at the destination.
        store: Flow Store to add the copies to (Python API; on the CLI use the common --store).
    """
    from inspect_flow._steps.copy_step import copy_step

    return copy_step(logs, dest, source_prefix, suffix, rename, overwrite)
