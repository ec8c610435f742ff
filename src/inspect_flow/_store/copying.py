"""``copy_all_logs``: copy a directory's logs elsewhere, keeping their layout (``--copy-from``)."""

from __future__ import annotations

from inspect_flow import _output
from inspect_flow._logs import check_copy_plan, copy_absent, display_path, join, normalize
from inspect_flow._store.importing import list_directory


def copy_all_logs(
    src_dir: str, dest_dir: str, dry_run: bool = False, recursive: bool = True
) -> list[str]:
    """Copy every log under ``src_dir`` to ``dest_dir``, keeping paths relative to ``src_dir``.

    The copies are one all-or-nothing batch of the storage seam (temp name then rename; S3 to S3
    server-side). A destination that already exists is left as it is. Local and S3 directories
    work in any combination.

    Args:
        src_dir: The directory to copy from.
        dest_dir: The directory to copy to.
        dry_run: List what would be copied; copy nothing.
        recursive: Include subdirectories of ``src_dir``.

    Returns:
        The destination locations (existing ones included); ``[]`` when ``src_dir`` has no logs.

    Raises:
        CommitError: A copy failed; none of the copies of this call were left behind.
    """
    source_root = normalize(src_dir)
    dest_root = normalize(dest_dir)
    _output.err(f"\nCopying logs from {display_path(source_root)} to {display_path(dest_root)}")
    sources = list_directory(source_root, recursive)
    if not sources:
        _output.warn("No logs found")
        return []
    plan = [(source, join(dest_root, source[len(source_root) + 1 :])) for source in sources]
    check_copy_plan(plan)
    for source, _ in plan:
        _output.out(display_path(source))
    if dry_run:
        return [dest for _, dest in plan]

    def unreadable(source: str, reason: str) -> None:
        _output.error(f"Could not read log {display_path(source)}: {reason}")

    taken, copied = copy_absent(plan, on_unreadable=unreadable)
    for dest in sorted(taken):
        _output.warn(f"Skipping (already exists): {display_path(dest)}")
    return [dest for _, dest in plan if dest in copied or dest in taken]
