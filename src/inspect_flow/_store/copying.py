"""``copy_all_logs``: copy a directory's logs elsewhere, keeping their layout (``--copy-from``)."""

from __future__ import annotations

from inspect_flow import _output
from inspect_flow._logs import check_plan, copy_logs, display_path, join, normalize
from inspect_flow._store.importing import list_directory


def copy_all_logs(
    src_dir: str, dest_dir: str, dry_run: bool = False, recursive: bool = True
) -> list[str]:
    """Copy every log under ``src_dir`` to ``dest_dir``, keeping paths relative to ``src_dir``.

    Copies are safe (a temp name, then a rename; S3 to S3 server-side) and a destination that
    already exists is left as it is. Local and S3 directories work in any combination.

    Args:
        src_dir: The directory to copy from.
        dest_dir: The directory to copy to.
        dry_run: List what would be copied; copy nothing.
        recursive: Include subdirectories of ``src_dir``.

    Returns:
        The destination locations (existing ones included); ``[]`` when ``src_dir`` has no logs.

    Raises:
        CommitError: A copy failed; the copies of this call were undone.
    """
    source_root = normalize(src_dir)
    dest_root = normalize(dest_dir)
    _output.err(f"\nCopying logs from {display_path(source_root)} to {display_path(dest_root)}")
    sources = list_directory(source_root, recursive)
    if not sources:
        _output.warn("No logs found")
        return []
    plan = [(source, join(dest_root, source[len(source_root) + 1 :])) for source in sources]
    check_plan(plan)
    for source, _ in plan:
        _output.out(display_path(source))
    if dry_run:
        return [dest for _, dest in plan]
    outcomes = copy_logs([(source, dest, None) for source, dest in plan], overwrite=False)
    for outcome in outcomes:
        if outcome.status == "skipped":
            _output.warn(f"Skipping (already exists): {display_path(outcome.dest)}")
    return [outcome.dest for outcome in outcomes]
