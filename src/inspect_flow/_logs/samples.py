"""Reads beyond the header: sample counts for logs whose header cannot say (error, invalidated).

Many logs are counted in one pass on one event loop: inspect_ai's sync readers start an event loop
per call, which costs more than reading a small log's sample summaries.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal, TypeVar

from inspect_flow._logs import locations as paths

T = TypeVar("T")

CountKind = Literal["valid", "completed"]
"""``valid``: samples with neither an invalidation nor an error (reads the full log).
``completed``: samples completed without error, from the sample summaries (no sample bodies)."""

# Remote reads wait on the network, so several run at once (like header reads); local ones are
# CPU-bound on the one loop and run one after another (concurrency measured slower there).
REMOTE_CONCURRENCY = 10


def _readable(location: str) -> str:
    # inspect_ai reads local files fastest by plain path; URLs are passed through.
    return paths.local_path(location) if paths.is_local(location) else location


def count_samples(requests: Sequence[tuple[str, CountKind]]) -> list[int | Exception]:
    """Count the samples of many logs on one event loop.

    Args:
        requests: (location, what to count) per log.

    Returns:
        Per request, in order: the count, or the error that prevented it.
    """
    if not requests:
        return []

    async def all_counts() -> list[int | Exception]:
        remote = asyncio.Semaphore(REMOTE_CONCURRENCY)

        async def one(index: int) -> int | Exception:
            location, kind = requests[index]
            try:
                if paths.is_local(location):
                    return await _count(location, kind)
                async with remote:
                    return await _count(location, kind)
            except Exception as exc:
                return exc

        local = [i for i, (loc, _) in enumerate(requests) if paths.is_local(loc)]
        others = [i for i, (loc, _) in enumerate(requests) if not paths.is_local(loc)]
        counts: dict[int, int | Exception] = {}
        remote_counts = asyncio.gather(*(one(i) for i in others))  # they proceed meanwhile
        for i in local:
            counts[i] = await one(i)
        counts.update(zip(others, await remote_counts, strict=True))
        return [counts[i] for i in range(len(requests))]

    return _run(all_counts())


async def _count(location: str, kind: CountKind) -> int:
    from inspect_ai.log import read_eval_log_async, read_eval_log_sample_summaries_async

    if kind == "valid":
        full = await read_eval_log_async(_readable(location))
        return sum(
            1
            for sample in full.samples or []
            if sample.error is None and getattr(sample, "invalidation", None) is None
        )
    summaries = await read_eval_log_sample_summaries_async(_readable(location))
    return sum(1 for summary in summaries if summary.completed and summary.error is None)


def _run(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` on a fresh event loop (in a worker thread if this thread already runs one)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with ThreadPoolExecutor(max_workers=1) as pool:  # e.g. called from Jupyter
        return pool.submit(asyncio.run, coro).result()


def _one(location: str, kind: CountKind) -> int:
    (count,) = count_samples([(location, kind)])
    if isinstance(count, Exception):
        raise count
    return count


def count_valid_samples(location: str) -> int:
    """Count samples with neither an invalidation nor an error (reads the full log)."""
    return _one(location, "valid")


def count_completed_summaries(location: str) -> int:
    """Count samples completed without error, from the sample summaries (no sample bodies)."""
    return _one(location, "completed")
