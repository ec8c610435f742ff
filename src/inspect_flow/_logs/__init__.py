"""The storage seam: the only package touching log files (local disk, S3) and inspect_ai log I/O.

This module is the seam's whole public surface: code outside ``inspect_flow._logs`` imports from
here and never from a submodule. Names load lazily, so importing the seam costs nothing until a
command reads or writes a log.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from inspect_flow._lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    # locations
    "has_scheme": "inspect_flow._logs.paths",
    "is_local": "inspect_flow._logs.paths",
    "is_s3": "inspect_flow._logs.paths",
    "normalize": "inspect_flow._logs.paths",
    "local_path": "inspect_flow._logs.paths",
    "display_path": "inspect_flow._logs.paths",
    "basename": "inspect_flow._logs.paths",
    "dirname": "inspect_flow._logs.paths",
    "join": "inspect_flow._logs.paths",
    "is_log_name": "inspect_flow._logs.paths",
    # listing
    "expand_paths": "inspect_flow._logs.listing",
    "list_log_files": "inspect_flow._logs.listing",
    # reading
    "ReadResult": "inspect_flow._logs.read",
    "read_headers": "inspect_flow._logs.read",
    "CountKind": "inspect_flow._logs.samples",
    "count_samples": "inspect_flow._logs.samples",
    # writing and copying (the transaction engine)
    "WriteOutcome": "inspect_flow._logs.write",
    "needs_write": "inspect_flow._logs.write",
    "write_headers": "inspect_flow._logs.write",
    "CopyOutcome": "inspect_flow._logs.copy",
    "check_plan": "inspect_flow._logs.copy",
    "exists": "inspect_flow._logs.copy",
    "copy_logs": "inspect_flow._logs.copy",
    "drop_cached_bodies": "inspect_flow._logs.read",
    # small text files next to logs, run folders
    "list_dirs": "inspect_flow._logs.textfiles",
    "read_text": "inspect_flow._logs.textfiles",
    "write_text": "inspect_flow._logs.textfiles",
    "remove_tree": "inspect_flow._logs.tree",
    # per-run state
    "fingerprint": "inspect_flow._logs.state",
    "remember": "inspect_flow._logs.state",
    "state_of": "inspect_flow._logs.state",
    "open_scope": "inspect_flow._logs.state",
    "close_scope": "inspect_flow._logs.state",
    "scope_open": "inspect_flow._logs.state",
}

if TYPE_CHECKING:
    from inspect_flow._logs.copy import CopyOutcome, check_plan, copy_logs, exists
    from inspect_flow._logs.listing import expand_paths, list_log_files
    from inspect_flow._logs.paths import (
        basename,
        dirname,
        display_path,
        has_scheme,
        is_local,
        is_log_name,
        is_s3,
        join,
        local_path,
        normalize,
    )
    from inspect_flow._logs.read import ReadResult, drop_cached_bodies, read_headers
    from inspect_flow._logs.samples import CountKind, count_samples
    from inspect_flow._logs.state import (
        close_scope,
        fingerprint,
        open_scope,
        remember,
        scope_open,
        state_of,
    )
    from inspect_flow._logs.textfiles import list_dirs, read_text, write_text
    from inspect_flow._logs.tree import remove_tree
    from inspect_flow._logs.write import WriteOutcome, needs_write, write_headers

__all__ = [
    "CopyOutcome",
    "CountKind",
    "ReadResult",
    "WriteOutcome",
    "basename",
    "check_plan",
    "close_scope",
    "copy_logs",
    "count_samples",
    "dirname",
    "exists",
    "display_path",
    "drop_cached_bodies",
    "expand_paths",
    "fingerprint",
    "has_scheme",
    "is_local",
    "is_log_name",
    "is_s3",
    "join",
    "list_dirs",
    "list_log_files",
    "local_path",
    "needs_write",
    "normalize",
    "open_scope",
    "read_headers",
    "read_text",
    "remember",
    "remove_tree",
    "scope_open",
    "state_of",
    "write_headers",
    "write_text",
]

__getattr__ = lazy_exports(__name__, _EXPORTS, globals())
