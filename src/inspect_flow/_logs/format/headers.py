"""New headers for staged logs, written the way inspect_ai writes them, without its per-call costs.

These functions only ever touch a private staged file (the temp file that later replaces the log
atomically, see ``batch.py``), so they need no crash safety of their own.

* ``.eval``: inspect_ai's header-only write opens the zip in append mode, drops ``header.json`` from
  the central directory (its bytes stay behind, unreferenced) and writes a new ``header.json``
  member, zstd-compressed, then the central directory. We do exactly that, but compress the member
  with a single-threaded zstd context: inspect_ai's compressor starts 12 threads for every member
  (~0.5 ms for a 1.6 KB header, more than the rest of the write), and for a member this small
  zstd's output is the same either way.
* ``.json``: inspect_ai re-reads the whole log into pydantic models to write a new header. We load
  the raw document, replace its header keys with inspect_ai's serialisation of the new header, and
  keep ``samples`` and ``reductions`` as they are on disk (no validation, no re-serialisation).

Each returns False (or None) when inspect_ai's serialiser is unavailable (see
``inspect_shim.py``); the caller then falls back to ``write_eval_log``.
"""

from __future__ import annotations

import io
import json
import threading
import time
import zipfile
import zlib
from typing import TYPE_CHECKING, Any, BinaryIO

from inspect_flow._logs.format import inspect_shim as _inspect

if TYPE_CHECKING:
    from inspect_ai.log import EvalLog

HEADER_MEMBER = "header.json"
# inspect_ai's compressor cuts zstd frames every 200 MiB of input (inspect_ai/_util/zipfile.py); a
# header never comes close, and one that did is left to inspect_ai.
_MAX_FRAME_INPUT = 200 * 1024 * 1024
# Zip method 93 (zstd), the one inspect_ai writes.
_ZSTD_METHOD = 93
# The top-level keys of a .json log that hold sample data rather than header fields.
_SAMPLE_KEYS = ("samples", "reductions")


def replace_eval_header(path: str, log: EvalLog) -> bool:
    """Replace ``header.json`` of the ``.eval`` zip at ``path`` (the caller makes it durable).

    Args:
        path: A staged private copy of the log.
        log: The log whose header to write.

    Returns:
        False (nothing written) when inspect_ai's serialiser or compression is unavailable.
    """
    with open(path, "r+b") as f:
        return _replace_eval_in(f, log, path)


def eval_with_new_header(original: bytes, log: EvalLog) -> bytes | None:
    """Return the ``.eval`` log ``original`` with the header of ``log`` (in memory).

    Returns:
        None when inspect_ai's serialiser or compression is unavailable.
    """
    buffer = io.BytesIO(original)
    return buffer.getvalue() if _replace_eval_in(buffer, log, log.location) else None


def _replace_eval_in(f: BinaryIO, log: EvalLog, name: str) -> bool:
    header = _inspect.eval_header_json(log)
    compression = _inspect.member_compression()
    if header is None or compression is None or len(header) >= _MAX_FRAME_INPUT:
        return False
    method, level = compression
    if method != _ZSTD_METHOD:
        return False
    with zipfile.ZipFile(f, "a") as archive:
        if not archive.filelist:
            # Append mode turns a file that is not a zip into one by appending an archive:
            # refuse (a log holds at least its start record).
            raise zipfile.BadZipFile(f"not an .eval log (no zip members): {name}")
        # Exactly inspect_ai's way of dropping the old member (_replace_eval_header_in_place).
        archive.filelist = [i for i in archive.filelist if i.filename != HEADER_MEMBER]
        archive.NameToInfo.pop(HEADER_MEMBER, None)
        _append_member(archive, f, HEADER_MEMBER, header, method, _zstd(header, level))
    return True


def _zstd(data: bytes, level: int) -> bytes:
    # A streaming compressobj, as inspect_ai's (so the frame has the same shape), single-threaded.
    compressor = _compressor(level).compressobj()
    return bytes(compressor.compress(data) + compressor.flush())


_COMPRESSORS = threading.local()


def _compressor(level: int) -> Any:
    """Return this thread's zstd compressor for ``level``.

    Creating one costs 36 µs, ten times compressing a header with it; a compressor may not be
    shared between threads, so each staging thread keeps its own.
    """
    cache: dict[int, Any] | None = getattr(_COMPRESSORS, "by_level", None)
    if cache is None:
        cache = _COMPRESSORS.by_level = {}
    if level not in cache:
        import zstandard

        cache[level] = zstandard.ZstdCompressor(level=level)
    return cache[level]


def _append_member(
    archive: zipfile.ZipFile, f: BinaryIO, name: str, data: bytes, method: int, packed: bytes
) -> None:
    """Append a member whose data is already compressed, as ``ZipFile.writestr`` would write it.

    Same ZipInfo fields as ``writestr`` (time, mode bits, sizes, CRC), the local header is built by
    the same ``ZipInfo.FileHeader`` and written where ``writestr`` writes it (at the old central
    directory); ``ZipFile.close`` then writes the new central directory and end record.
    """
    info = zipfile.ZipInfo(name, date_time=time.localtime(time.time())[:6])
    info.compress_type = method
    info.external_attr = 0o600 << 16  # ?rw------- as writestr sets
    info.file_size = len(data)
    info.CRC = zlib.crc32(data)
    info.compress_size = len(packed)
    zip64 = info.file_size * 1.05 > zipfile.ZIP64_LIMIT  # writestr's rule (never, for a header)
    f.seek(archive.start_dir)
    info.header_offset = f.tell()
    f.write(info.FileHeader(zip64))
    f.write(packed)
    archive.start_dir = f.tell()
    archive.filelist.append(info)
    archive.NameToInfo[name] = info
    # Setting the comment is zipfile's public way to mark the archive modified, so close() writes
    # the new central directory (what writestr does through a private flag).
    archive.comment = archive.comment


def replace_json_header(path: str, log: EvalLog) -> bool:
    """Rewrite the ``.json`` log at ``path`` (a staged private copy) with ``log``'s header.

    Returns:
        False (nothing written) when inspect_ai's serialiser is unavailable.
    """
    with open(path, "rb") as f:
        document = json_with_new_header(f.read(), log)
    if document is None:
        return False
    with open(path, "wb") as f:
        f.write(document)
    return True


def json_with_new_header(original: bytes, log: EvalLog) -> bytes | None:
    """Return the ``.json`` log ``original`` with the header of ``log``.

    Header keys are inspect_ai's serialisation of ``log`` (as its ``write_eval_log`` writes them);
    ``samples`` and ``reductions`` are copied from ``original`` untouched; keys of ``original`` that
    are neither are dropped, as inspect_ai's rewrite drops them. None when inspect_ai's serialiser
    is unavailable.

    Raises:
        ValueError: ``original`` is not a JSON object.
    """
    fields = _inspect.header_fields_json(log)
    if fields is None:
        return None
    raw = json.loads(original)
    if not isinstance(raw, dict):
        raise ValueError("not a .json eval log (the document is not an object)")
    header: dict[str, Any] = json.loads(fields)
    document: dict[str, Any] = {}
    # inspect_ai writes the fields in model order, the sample keys among them.
    for key in _field_order(log):
        source = raw if key in _SAMPLE_KEYS else header
        if key in source:
            document[key] = source[key]
    for key, value in header.items():  # anything the model order did not name (aliases)
        document.setdefault(key, value)
    return _dump(document)


def _field_order(log: EvalLog) -> list[str]:
    return [name for name, field in type(log).model_fields.items() if not field.exclude]


def _dump(document: dict[str, Any]) -> bytes:
    import pydantic_core

    try:
        # The serialiser inspect_ai writes .json logs with (indent 2, UTF-8, NaN as NaN).
        return bytes(pydantic_core.to_json(document, indent=2))
    except pydantic_core.PydanticSerializationError:
        # e.g. a lone surrogate written by another tool: json escapes it, so nothing changes.
        return json.dumps(document, indent=2).encode()
