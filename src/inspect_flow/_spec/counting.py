"""Count a log's valid samples for a spec task (the rules of Flow 0.14 §5.5 item 4).

* The header has results and is not invalidated → ``results.completed_samples``.
* Invalidated → the full samples are read; those with neither an invalidation nor an error count.
* No results (an ``error`` or ``started`` log) → the sample summaries are read; those completed
  without error count.
* A read failure counts 0 (with a warning).

Then: a task that names an epochs reducer different from the log's counts 0; a log run with more
epochs than the task is scaled down to the task's epochs.

The reads beyond the header go through the storage seam (``inspect_flow._logs.samples``).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from inspect_flow._errors import one_line
from inspect_flow._logs.samples import count_completed_summaries, count_valid_samples

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
            return count_valid_samples(location)
        return count_completed_summaries(location)
    except Exception as exc:
        logger.warning("Could not count the samples of %s: %s", location, one_line(exc))
        return 0
