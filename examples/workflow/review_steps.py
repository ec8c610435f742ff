"""The steps of the review-and-promote workflow (as in the user docs' ``steps.py``).

``promote`` takes the production folder as ``--dest`` (local or ``s3://``) instead of naming one
bucket in the code, so the demo and the tests can promote into folders of their own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from review_filters import reviewed

from inspect_flow import step
from inspect_flow.api import copy, tag

if TYPE_CHECKING:
    from inspect_ai.log import EvalLog


@step
def mark_reviewed(logs: list[EvalLog]) -> list[EvalLog]:
    """Mark logs as manually reviewed."""
    return tag(logs, add=["review_done"], remove=["review_needed"])


@step
def promote(logs: list[EvalLog], *, dest: str) -> list[EvalLog]:
    """Promote reviewed logs to production.

    Args:
        dest: The production log directory (local or S3).
    """
    logs = [log for log in logs if reviewed(log)]
    logs = tag(logs, add=["promoted"], reason="Passed review")
    return copy(logs, dest=dest)
