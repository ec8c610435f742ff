"""``--shard I/N``: a stable split of a step's selection, so N machines each process one part.

A log belongs to part ``int(sha1(URI)) mod N`` of its *normalised* location URI
(``file:///abs/path.eval``, ``s3://bucket/key.eval``): the same log lands in the same part in
every process and however its path was spelled (relative, absolute, ``file://``, with ``..``).
Parts are numbered from 0, as Kubernetes indexed Jobs and AWS Batch array jobs number their
tasks. The part depends on the location alone, so sharding before or after the filters selects the
same logs; ``run_step`` shards first, so each machine reads only its own headers.
"""

from __future__ import annotations

import hashlib
import re

from inspect_flow._errors import FlowUsageError

Shard = tuple[int, int]
"""``(index, count)``: part ``index`` (0-based) of ``count`` parts."""

_FORM = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


def parse_shard(text: str) -> Shard:
    """Parse ``I/N`` (e.g. ``3/8``) into ``(3, 8)``.

    Raises:
        FlowUsageError: Not of the form ``I/N`` with ``0 <= I < N``.
    """
    match = _FORM.match(text)
    if match is None:
        raise FlowUsageError(
            f"Invalid shard {text!r}: expected I/N with 0 <= I < N (e.g. 0/4, the first of 4 parts)"
        )
    return check_shard((int(match.group(1)), int(match.group(2))))


def check_shard(shard: object) -> Shard:
    """Validate a shard given to ``run_step``: an ``(index, count)`` pair or an ``"I/N"`` string.

    Raises:
        FlowUsageError: Not a pair of integers with ``0 <= index < count``.
    """
    if isinstance(shard, str):
        return parse_shard(shard)
    if (
        not isinstance(shard, (tuple, list))
        or len(shard) != 2
        or not all(isinstance(x, int) and not isinstance(x, bool) for x in shard)
    ):
        raise FlowUsageError(f"Invalid shard {shard!r}: expected (index, count), e.g. (0, 4)")
    index, count = shard
    if count < 1:
        raise FlowUsageError(f"Invalid shard {index}/{count}: the number of parts must be >= 1")
    if not 0 <= index < count:
        raise FlowUsageError(
            f"Invalid shard {index}/{count}: the index must be from 0 to {count - 1}"
        )
    return (index, count)


def shard_index(location: str, count: int) -> int:
    """Return the part (0 to ``count - 1``) of a normalised location."""
    digest = hashlib.sha1(location.encode("utf-8"), usedforsecurity=False).digest()
    return int.from_bytes(digest[:8], "big") % count


def in_shard(location: str, shard: Shard) -> bool:
    """Return True when the normalised ``location`` belongs to ``shard``."""
    index, count = shard
    return count == 1 or shard_index(location, count) == index
