"""Reads beyond the header: sample counts for logs whose header cannot say (error, invalidated)."""

from __future__ import annotations

from inspect_flow._logs import paths


def _readable(location: str) -> str:
    # inspect_ai reads local files fastest by plain path; URLs are passed through.
    return paths.local_path(location) if paths.is_local(location) else location


def count_valid_samples(location: str) -> int:
    """Count samples with neither an invalidation nor an error (reads the full log)."""
    from inspect_ai.log import read_eval_log

    full = read_eval_log(_readable(location))
    return sum(
        1
        for sample in full.samples or []
        if sample.error is None and getattr(sample, "invalidation", None) is None
    )


def count_completed_summaries(location: str) -> int:
    """Count samples completed without error, from the sample summaries (no sample bodies)."""
    from inspect_ai.log import read_eval_log_sample_summaries

    summaries = read_eval_log_sample_summaries(_readable(location))
    return sum(1 for summary in summaries if summary.completed and summary.error is None)
