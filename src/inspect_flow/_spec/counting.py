"""Count a log's valid samples for a spec task (the rules of Flow 0.14 §5.5 item 4).

* The header has results and is not invalidated → ``results.completed_samples``.
* Invalidated → the full samples are read; those with neither an invalidation nor an error count.
* No results (an ``error`` or ``started`` log) → the sample summaries are read; those completed
  without error count.
* A read failure counts 0 (with a warning).

Then: a task that names an epochs reducer different from the log's counts 0; a log run with more
epochs than the task is scaled down to the task's epochs.

Note: the sample reads use inspect_ai's public readers directly (they are the only reads here
that go beyond the header).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from inspect_flow._errors import one_line

if TYPE_CHECKING:
    from inspect_ai.log import EvalLog

logger = logging.getLogger(__name__)


def valid_samples(log: EvalLog, epochs: int, reducer: list[str] | None) -> int:
    """Return the number of valid samples ``log`` holds for a task with ``epochs``/``reducer``.

    Args:
        log: A header-only log (``location`` set).
        epochs: The task's epochs.
        reducer: The reducer(s) the task names, or None when it names none.

    """
    samples = _raw_count(log)
    config = log.eval.config
    if reducer is not None and list(reducer) != list(config.epochs_reducer or ["mean"]):
        return 0
    log_epochs = config.epochs or 1
    if log_epochs > epochs:
        samples = int(samples * epochs / log_epochs)
    return samples


def _raw_count(log: EvalLog) -> int:
    location = str(log.location)
    try:
        if log.results is not None and not log.invalidated:
            return log.results.completed_samples
        if log.invalidated:
            from inspect_ai.log import read_eval_log

            full = read_eval_log(location)
            return sum(
                1
                for s in full.samples or []
                if s.error is None and getattr(s, "invalidation", None) is None
            )
        from inspect_ai.log import read_eval_log_sample_summaries

        summaries = read_eval_log_sample_summaries(location)
        return sum(1 for s in summaries if s.completed and s.error is None)
    except Exception as exc:
        logger.warning("Could not count the samples of %s: %s", location, one_line(exc))
        return 0
