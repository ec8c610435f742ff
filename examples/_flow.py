"""Steps and filters for the examples (discovered by `flow step` when run from this folder).

`EvalLog` is imported for type checking only, so `flow step --help` stays fast: discovery executes
this file, and importing inspect_ai takes a second or two.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from inspect_flow import StepResult, log_filter, step
from inspect_flow.api import metadata, tag

if TYPE_CHECKING:
    from inspect_ai.log import EvalLog

REVIEW_TAG = "reviewed"


@log_filter
def successful(log: EvalLog) -> bool:
    """True when the eval finished successfully."""
    return log.status == "success"


@log_filter
def reviewed(log: EvalLog) -> bool:
    """True when a log has been reviewed (tagged with REVIEW_TAG)."""
    return REVIEW_TAG in log.tags


@step
def review_scores(logs: list[EvalLog], *, min_score: float = 0.8) -> list[EvalLog]:
    """Tag logs that meet a score threshold and record it in metadata.

    Args:
        min_score: Minimum score to pass review.
    """
    passing = [
        log
        for log in logs
        if log.results
        and log.results.scores
        and (log.results.scores[0].metrics["accuracy"].value or 0) >= min_score
    ]
    passing = tag(passing, add=["passing"])
    return metadata(passing, set={"min_score": min_score})


@step
def audit(logs: list[EvalLog]) -> StepResult:
    """Print a summary of log statuses (writes nothing)."""
    for log in logs:
        print(f"{log.eval.task}: {log.status} {sorted(log.tags)}")
    return StepResult(logs=logs, modified=False)
