"""``copy_all_logs``: copy a directory's logs elsewhere, keeping their layout (``--copy-from``)."""

from __future__ import annotations

from inspect_flow import _output
from inspect_flow._logs import (
    CopyRequest,
    Session,
    check_copy_plan,
    commit_batch,
    display_path,
    existing_logs,
    join,
    normalize,
    read_headers,
)
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
    taken = existing_logs([dest for _, dest in plan])
    for dest in sorted(taken):
        _output.warn(f"Skipping (already exists): {display_path(dest)}")
    with Session() as session:
        wanted = [(source, dest) for source, dest in plan if dest not in taken]
        result = read_headers([source for source, _ in wanted], session=session)
        for where, reason in result.errors.items():
            _output.error(f"Could not read log {display_path(where)}: {reason}")
        headers = {log.location: log for log in result.logs}
        requests = [
            CopyRequest(
                source,
                dest,
                headers[source].model_copy(update={"location": dest}),
                overwrite=False,
                source_etag=headers[source].etag,
            )
            for source, dest in wanted
            if source in headers
        ]
        outcomes = commit_batch([], requests, session)
    copied = {outcome.location for outcome in outcomes if outcome.changed_storage}
    return [dest for _, dest in plan if dest in copied or dest in taken]
