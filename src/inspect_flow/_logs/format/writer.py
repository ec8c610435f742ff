"""The header writer both backends use: a new header into a private staged file.

The local backend writes into the hidden temp file that later replaces the log; the S3 backend
into a local copy of the object (or a local mirror of a large object's tail).
"""

from __future__ import annotations

import os
import stat
from typing import TYPE_CHECKING

from inspect_flow._logs.format import headers

if TYPE_CHECKING:
    from inspect_ai.log import EvalLog


def fmt(location: str) -> str:
    """Return the log format of a location: ``json`` or ``eval``."""
    return "json" if location.endswith(".json") else "eval"


def write_header_into(log: EvalLog, file_path: str, log_format: str) -> None:
    """Write ``log``'s header into the staged private file ``file_path``.

    The file is not yet durable: a local batch flushes all its staged files at once
    (``local.files.make_durable``) before any of them replaces a log.

    Args:
        log: The edited header-only log.
        file_path: A private local copy of the log (never the log itself).
        log_format: ``eval`` or ``json``.
    """
    mode = os.stat(file_path).st_mode & 0o7777
    if mode & stat.S_IWUSR:
        _write(log, file_path, log_format)
        return
    # A copy of a read-only log has its mode (0444): writable by us only while the header goes in.
    os.chmod(file_path, mode | stat.S_IWUSR)
    try:
        _write(log, file_path, log_format)
    finally:
        os.chmod(file_path, mode)


def _write(log: EvalLog, file_path: str, log_format: str) -> None:
    from inspect_ai.log import write_eval_log

    # Ours first (same bytes as inspect_ai, without its per-call event loop, 12-thread zstd
    # compressor or .json sample re-validation); inspect_ai's only if its serialiser moved.
    replace = headers.replace_json_header if log_format == "json" else headers.replace_eval_header
    if replace(file_path, log):
        return
    write_eval_log(log, file_path, format=log_format, header_only=True)  # type: ignore[arg-type]


def header_into_bytes(log: EvalLog, body: bytes, log_format: str) -> bytes:
    """Return the log ``body`` (a whole small log) with ``log``'s header, built in memory.

    Falls back to inspect_ai's writer on a private temp file only when our serialiser is
    unavailable (see ``format.inspect_shim``).
    """
    replace = headers.json_with_new_header if log_format == "json" else headers.eval_with_new_header
    new = replace(body, log)
    if new is not None:
        return new
    import tempfile

    with tempfile.TemporaryDirectory(prefix="inspect-flow-stage-") as scratch:
        path = os.path.join(scratch, "log." + log_format)
        with open(path, "wb") as f:
            f.write(body)
        write_header_into(log, path, log_format)
        with open(path, "rb") as f:
            return f.read()
