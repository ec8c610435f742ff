"""The storage seam: the only package touching log files (local disk, S3) and inspect_ai log I/O.

This module is the seam's whole public surface: code outside ``inspect_flow._logs`` imports from
here and never from a submodule. Names load lazily, so importing the seam costs nothing until a
command reads or writes a log.

* locations: URI normalisation, friendly display paths, copy-plan checks;
* listing: expand PATHs to log files; whether a log exists;
* reading: concurrent header reads (``read_headers``), sample counts;
* the run's state (``Session``) and the one transaction engine (``commit_batch``: header edits and
  copies, all or nothing, one ``Outcome`` per write);
* what the sweeps of killed runs' leftovers did (``CleanupReport``);
* removing a directory tree (``remove_tree``: a Flow Store's table).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from inspect_flow._lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    # locations
    "basename": "inspect_flow._logs.locations",
    "check_copy_plan": "inspect_flow._logs.locations",
    "dirname": "inspect_flow._logs.locations",
    "display_path": "inspect_flow._logs.locations",
    "has_scheme": "inspect_flow._logs.locations",
    "inside": "inspect_flow._logs.locations",
    "is_local": "inspect_flow._logs.locations",
    "is_log_name": "inspect_flow._logs.locations",
    "is_s3": "inspect_flow._logs.locations",
    "join": "inspect_flow._logs.locations",
    "local_path": "inspect_flow._logs.locations",
    "normalize": "inspect_flow._logs.locations",
    # listing
    "expand_paths": "inspect_flow._logs.listing",
    "list_log_files": "inspect_flow._logs.listing",
    "existing_logs": "inspect_flow._logs.listing",
    # read
    "ReadResult": "inspect_flow._logs.read",
    "read_headers": "inspect_flow._logs.read",
    # samples
    "CountKind": "inspect_flow._logs.samples",
    "count_samples": "inspect_flow._logs.samples",
    # session
    "LogState": "inspect_flow._logs.session",
    "Session": "inspect_flow._logs.session",
    "Token": "inspect_flow._logs.session",
    "fingerprint": "inspect_flow._logs.session",
    # batch
    "CopyRequest": "inspect_flow._logs.batch",
    "Outcome": "inspect_flow._logs.batch",
    "commit_batch": "inspect_flow._logs.batch",
    "copy_absent": "inspect_flow._logs.copies",
    # cleanup
    "CleanupReport": "inspect_flow._logs.cleanup",
    # small text files next to logs, run folders
    "create_folder": "inspect_flow._logs.textfiles",
    "list_dirs": "inspect_flow._logs.textfiles",
    "read_text": "inspect_flow._logs.textfiles",
    "write_text": "inspect_flow._logs.textfiles",
    # trees
    "remove_tree": "inspect_flow._logs.tree",
}

if TYPE_CHECKING:
    from inspect_flow._logs.batch import CopyRequest, Outcome, commit_batch
    from inspect_flow._logs.cleanup import CleanupReport
    from inspect_flow._logs.copies import copy_absent
    from inspect_flow._logs.listing import existing_logs, expand_paths, list_log_files
    from inspect_flow._logs.locations import (
        basename,
        check_copy_plan,
        dirname,
        display_path,
        has_scheme,
        inside,
        is_local,
        is_log_name,
        is_s3,
        join,
        local_path,
        normalize,
    )
    from inspect_flow._logs.read import ReadResult, read_headers
    from inspect_flow._logs.samples import CountKind, count_samples
    from inspect_flow._logs.session import (
        LogState,
        Session,
        Token,
        fingerprint,
    )
    from inspect_flow._logs.textfiles import create_folder, list_dirs, read_text, write_text
    from inspect_flow._logs.tree import remove_tree

__all__ = [
    "CleanupReport",
    "CopyRequest",
    "CountKind",
    "LogState",
    "Outcome",
    "ReadResult",
    "Session",
    "Token",
    "basename",
    "check_copy_plan",
    "commit_batch",
    "copy_absent",
    "create_folder",
    "count_samples",
    "dirname",
    "display_path",
    "existing_logs",
    "expand_paths",
    "fingerprint",
    "has_scheme",
    "inside",
    "is_local",
    "is_log_name",
    "is_s3",
    "join",
    "list_dirs",
    "list_log_files",
    "local_path",
    "normalize",
    "read_headers",
    "read_text",
    "remove_tree",
    "write_text",
]

__getattr__ = lazy_exports(__name__, _EXPORTS, globals())
