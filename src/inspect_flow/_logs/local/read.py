"""Local header reads: one event loop, open file objects.

inspect_ai's path-based reader sets up an async filesystem per call, which costs ~10x the parse
itself for small logs, so ``.eval`` logs are read from open file objects on one loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from inspect_flow._errors import one_line
from inspect_flow._logs import locations
from inspect_flow._logs.format.json_tail import TAIL_BYTES, check_json_tail
from inspect_flow._logs.local.files import local_token
from inspect_flow._logs.session import Token

if TYPE_CHECKING:
    from inspect_ai.log import EvalLog


def read_all(paths: list[str], advance: Callable[[], None]) -> list[tuple[EvalLog, Token] | str]:
    """Read local headers on one event loop (a fresh one in a worker if a loop is running here).

    Returns:
        Per location, in order: the header and its version token, or why it could not be read.
    """

    async def read_each() -> list[tuple[EvalLog, Token] | str]:
        outcomes = []
        for location in paths:
            outcomes.append(await _read(location))
            advance()
        return outcomes

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(read_each())
    with ThreadPoolExecutor(max_workers=1) as pool:  # e.g. called from Jupyter
        return pool.submit(asyncio.run, read_each()).result()


async def _read(location: str) -> tuple[EvalLog, Token] | str:
    from inspect_ai.log import read_eval_log_async

    path = locations.local_path(location)
    try:
        # Token first: if the file changes while we read, the stale token makes our write a
        # conflict (safe) rather than a lost update.
        token = local_token(path)
        if path.endswith(".eval"):
            with open(path, "rb") as f:
                log = await read_eval_log_async(f, header_only=True, format="eval")
        else:
            log = await read_eval_log_async(path, header_only=True)
        if path.endswith(".json"):
            with open(path, "rb") as f:
                f.seek(max(0, token[0] - TAIL_BYTES))
                check_json_tail(f.read())
    except FileNotFoundError:
        return "file not found"
    except Exception as exc:  # corrupt/truncated/not a log: reported, never modified
        return _reason(exc)
    log.location = location
    return log, token


def _reason(exc: BaseException) -> str:
    text = one_line(exc)
    return f"{type(exc).__name__}: {text}" if text != type(exc).__name__ else text
