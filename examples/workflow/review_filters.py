"""The review filter of the review-and-promote workflow (as in the user docs' ``filters.py``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from inspect_flow import log_filter

if TYPE_CHECKING:
    from inspect_ai.log import EvalLog


@log_filter
def reviewed(log: EvalLog) -> bool:
    """True when a log has been reviewed."""
    return "review_done" in log.tags and "review_needed" not in log.tags
