"""The end of a large ``.eval`` object, read and rewritten without the rest (O(header) edits).

An ``.eval`` log is a zip: sample members first, then (inspect_ai writes it last) ``header.json``,
then the central directory and the end record. A header read needs only that end; so does a header
write, which appends a new ``header.json`` and a new central directory where the old directory
began (inspect_ai's own local header edit). So both work on a *sparse mirror* of the object: the
byte ranges fetched so far, at their real offsets in an object of the real size. Python's zipfile
and inspect_ai read and write it as if it were the whole log.

Reads of bytes we do not have raise :class:`MissingBytesError` (never silent zeros); the caller
fetches the missing member with a ranged GET conditional on the ETag already read and retries. A
write's result is checked against the old directory before it is used, so a writer that needed
more than the directory could not go unnoticed.
"""

from __future__ import annotations

import bisect
import io
import os
import zipfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, TypeVar, cast

from inspect_flow._logs.s3 import client as s3

if TYPE_CHECKING:
    from inspect_ai.log import EvalLog

T = TypeVar("T")

HEADER_MEMBER = "header.json"
# The first GET of a log asks for this many bytes from the end: the whole object for most logs,
# header and central directory for larger ones.
TAIL_BYTES = 1 << 20
# Ranged GETs one header read or stage may add to the tail GET before giving up (a started log
# reads its journal's start record and config updates; a finished one header and reductions).
MAX_FETCHES = 8


class MissingBytesError(Exception):
    """A read of bytes not fetched yet (deliberately not an OSError: zipfile swallows those)."""

    def __init__(self, start: int, end: int) -> None:
        super().__init__(f"bytes {start}-{end - 1} not fetched")
        self.start = start
        self.end = end


class TooManyRangesError(Exception):
    """Reading the log needed more ranged GETs than :data:`MAX_FETCHES`."""


@dataclass(frozen=True)
class ZipEnd:
    """Where a zip object's central directory starts, and the object's size.

    Attributes:
        start_dir: Offset of the central directory: the bytes before it are left as they are by a
            header write.
        total: Object size in bytes.
    """

    start_dir: int
    total: int


class Sparse:
    """Known byte ranges of an object of known size; merged so adjacent ranges read as one."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._chunks: list[tuple[int, bytes]] = []

    def add(self, start: int, data: bytes) -> None:
        """Record ``data`` at offset ``start``."""
        chunks = sorted([*self._chunks, (start, data)], key=lambda c: c[0])
        merged: list[tuple[int, bytes]] = []
        for begin, blob in chunks:
            if merged and begin <= merged[-1][0] + len(merged[-1][1]):
                head, known = merged[-1]
                merged[-1] = (head, known + blob[head + len(known) - begin :])
            else:
                merged.append((begin, blob))
        self._chunks = merged

    def get(self, start: int, end: int) -> bytes:
        """Return bytes ``start``..``end - 1``, or raise :class:`MissingBytesError`."""
        for begin, blob in self._chunks:
            if begin <= start and end <= begin + len(blob):
                return blob[start - begin : end - begin]
        raise MissingBytesError(start, end)

    def hole(self, start: int, end: int) -> tuple[int, int]:
        """Return the first missing range within ``start``..``end - 1`` (``(end, end)`` if none)."""
        for begin, blob in self._chunks:
            if begin <= start < begin + len(blob):
                start = begin + len(blob)
        if start >= end:
            return end, end
        following = [begin for begin, _ in self._chunks if begin > start]
        return start, min([end, *following])

    def reader(self) -> SparseReader:
        """Return a fresh seekable binary reader over these bytes."""
        return SparseReader(self)


class SparseReader(io.RawIOBase):
    """An unbuffered file over a :class:`Sparse` (buffering would read ahead into holes)."""

    def __init__(self, sparse: Sparse) -> None:
        super().__init__()
        self._sparse = sparse
        self._pos = 0

    def readable(self) -> bool:  # noqa: D102
        return True

    def seekable(self) -> bool:  # noqa: D102
        return True

    def tell(self) -> int:  # noqa: D102
        return self._pos

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:  # noqa: D102
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._pos, os.SEEK_END: self._sparse.size}[whence]
        if base + offset < 0:
            raise OSError("negative seek position")  # zipfile probes small files this way
        self._pos = base + offset
        return self._pos

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]  # noqa: D102
        end = min(self._pos + len(buffer), self._sparse.size)
        if end <= self._pos:
            return 0
        data = self._sparse.get(self._pos, end)
        buffer[: len(data)] = data
        self._pos = end
        return len(data)


def member_bounds(sparse: Sparse) -> list[int]:
    """Return the sorted member offsets of the zip in ``sparse``, ending with its directory offset.

    Consecutive values bound each member (its local header, data and any dead bytes after it).
    """
    with zipfile.ZipFile(sparse.reader()) as archive:
        offsets = {info.header_offset for info in archive.infolist()}
        return sorted(offsets | {archive.start_dir})


def _fetch_range(sparse: Sparse, miss: MissingBytesError, bounds: list[int] | None) -> range:
    start, end = miss.start, miss.end
    if bounds and start < bounds[-1]:
        # a member read starts with its 30-byte local header: fetch the whole member at once
        index = bisect.bisect_right(bounds, start)
        if index < len(bounds):
            end = max(end, bounds[index])
    start, end = sparse.hole(start, end)
    return range(start, end)


async def resolve(
    location: str, etag: str, sparse: Sparse, action: Callable[[], Awaitable[T]]
) -> tuple[T, ZipEnd]:
    """Run ``action`` over ``sparse``, fetching what it misses (ranged GETs, If-Match ``etag``).

    Returns:
        The action's result and the zip's end (directory offset, size).

    Raises:
        WriteConflictError: The object changed since the version ``etag`` (a conditional GET
            failed).
        TooManyRangesError: More than :data:`MAX_FETCHES` ranges were missing.
    """
    bounds: list[int] | None = None
    for _ in range(MAX_FETCHES + 1):
        try:
            if bounds is None:
                bounds = member_bounds(sparse)
            return await action(), ZipEnd(bounds[-1], sparse.size)
        except MissingBytesError as miss:
            wanted = _fetch_range(sparse, miss, bounds)
            if not wanted:
                raise
            body, _, _ = await s3.get_object(
                location, f"bytes={wanted.start}-{wanted.stop - 1}", if_match=etag
            )
            sparse.add(wanted.start, body)
    raise TooManyRangesError(f"more than {MAX_FETCHES} ranged reads needed: {location}")


async def read_header(location: str, etag: str, sparse: Sparse) -> tuple[EvalLog, ZipEnd]:
    """Read the header of the ``.eval`` object whose known bytes are ``sparse``, with inspect_ai."""
    from inspect_ai.log import read_eval_log_async

    async def read() -> EvalLog:
        reader = cast("IO[bytes]", sparse.reader())  # a RawIOBase is a binary file
        return await read_eval_log_async(reader, header_only=True, format="eval")

    return await resolve(location, etag, sparse, read)


async def _no_action() -> None:
    return None


async def load_end(location: str, etag: str, tail: bytes, total: int) -> tuple[ZipEnd, bytes]:
    """Return the zip end of an object and its old tail (directory + end record) as bytes.

    Args:
        location: ``s3://`` URI.
        etag: The version the tail was fetched from.
        tail: The object's last bytes.
        total: The object's size.
    """
    sparse = Sparse(total)
    sparse.add(total - len(tail), tail)
    _, end = await resolve(location, etag, sparse, _no_action)
    return end, sparse.get(end.start_dir, total)


def make_mirror(path: str, end: ZipEnd, old_tail: bytes) -> None:
    """Write a sparse file of the object's size holding only its tail (holes cost no disk)."""
    with open(path, "wb") as f:
        f.truncate(end.total)
        f.seek(end.start_dir)
        f.write(old_tail)


def new_tail(path: str, end: ZipEnd, old_tail: bytes) -> tuple[bytes, ZipEnd]:
    """Return the bytes a header write appended to the mirror at ``path`` (checked) and its end.

    Raises:
        ValueError: The write did not just append a new ``header.json`` and directory after the
            old directory's offset, keeping every other member where it was.
    """
    with open(path, "rb") as f:
        f.seek(end.start_dir)
        tail = f.read()
    old, new = Sparse(end.total), Sparse(end.start_dir + len(tail))
    old.add(end.start_dir, old_tail)
    new.add(end.start_dir, tail)
    with zipfile.ZipFile(old.reader()) as before, zipfile.ZipFile(new.reader()) as after:
        kept = [_identity(i) for i in before.infolist() if i.filename != HEADER_MEMBER]
        now = [_identity(i) for i in after.infolist() if i.filename != HEADER_MEMBER]
        header = after.NameToInfo.get(HEADER_MEMBER)
        if now != kept or header is None or header.header_offset < end.start_dir:
            raise ValueError("the new header was not appended after the old archive's members")
        return tail, ZipEnd(after.start_dir, new.size)


def _identity(info: zipfile.ZipInfo) -> tuple[str, int, int, int]:
    return info.filename, info.header_offset, info.compress_size, info.CRC
