"""What the header-write backends share: one log's staged write, and the header writer.

``write`` drives a batch; ``localwrite`` and ``s3write`` stage, commit, roll back and discard one
:class:`Staged` each. The header writer lives here because both backends use it: the S3 backend
writes the new header into a local copy (or a local mirror of a large object's tail) too.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from inspect_flow._logs import headers
from inspect_flow._logs.s3edit import TailEdit
from inspect_flow._logs.state import Token

if TYPE_CHECKING:
    from inspect_ai.log import EvalLog


@dataclass
class Staged:
    """One log's write, from staging to commit (or rollback, or discard).

    Attributes:
        log: The edited header-only log.
        expected: The version token the write must replace (None: whatever is there at staging).
        temp: The staged new file (local: hidden, beside the log; S3: in ``scratch``).
        backup: The old version (local: a hard link to the old file; S3: its bytes on local disk).
        new_token: The version token after the commit.
        committed: Whether the new version is in place.
        scratch: S3 only: the private local directory holding ``temp`` and ``backup``.
        tail_edit: S3 only: a large object's edit, staged as a multipart upload.
    """

    log: EvalLog
    expected: Token | None
    temp: str = ""
    backup: str = ""
    new_token: Token | None = None
    committed: bool = False
    scratch: str = ""
    tail_edit: TailEdit | None = None


def fmt(location: str) -> str:
    """Return the log format of a location: ``json`` or ``eval``."""
    return "json" if location.endswith(".json") else "eval"


def write_header_into(log: EvalLog, file_path: str, log_format: str) -> None:
    """Write ``log``'s header into the staged private file ``file_path`` and fsync it.

    Args:
        log: The edited header-only log.
        file_path: A private local copy of the log (never the log itself).
        log_format: ``eval`` or ``json``.
    """
    from inspect_ai.log import write_eval_log

    # Ours first (same bytes as inspect_ai, without its per-call event loop, 12-thread zstd
    # compressor or .json sample re-validation); inspect_ai's only if its serialiser moved.
    replace = headers.replace_json_header if log_format == "json" else headers.replace_eval_header
    if replace(file_path, log):
        return
    write_eval_log(log, file_path, format=log_format, header_only=True)  # type: ignore[arg-type]
    fd = os.open(file_path, os.O_RDONLY)
    try:
        os.fsync(fd)  # durable before it replaces the original
    finally:
        os.close(fd)
