"""Logs whose eval is still running: an edit of one would be overwritten, so it is not written.

inspect_ai rewrites a running eval's log each time it flushes (and once more when the eval ends),
from its own copy of the header: a tag added in between would be silently lost. A log counts as
live when its status is ``started`` and it was modified less than :data:`LIVE_SECONDS` ago (an
eval that crashed or was killed also stays ``started``, but stops being modified). Its edit is
skipped with a warning unless ``INSPECT_FLOW_INCLUDE_RUNNING`` is set (to anything but ``0``).

Only local logs are checked: an S3 log's modification time is not known from its read.
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING

from inspect_flow._logs import locations

if TYPE_CHECKING:
    from inspect_ai.log import EvalLog

    from inspect_flow._logs.session import Token

LIVE_SECONDS = 3600
INCLUDE_RUNNING_ENV = "INSPECT_FLOW_INCLUDE_RUNNING"


def live_reason(log: EvalLog, token: Token | None) -> str | None:
    """Return why ``log`` (read at version ``token``) is live, or None when it may be edited."""
    if log.status != "started" or os.environ.get(INCLUDE_RUNNING_ENV, "") not in ("", "0"):
        return None
    if not locations.is_local(log.location) or not isinstance(token, tuple):
        return None
    age = time.time() - token[1] / 1e9
    if age >= LIVE_SECONDS:
        return None
    minutes = max(0, int(age // 60))
    return (
        f"its eval is still running (status started, modified {minutes} min ago): the edit "
        f"would be overwritten; not written (set {INCLUDE_RUNNING_ENV}=1 to write it anyway)"
    )
