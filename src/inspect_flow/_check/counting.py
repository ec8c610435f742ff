"""Count a log's valid samples for a spec task (the rules of Flow 0.14).

* The header has results and is not invalidated → ``results.completed_samples``.
* Invalidated → the full samples are read; those with neither an invalidation nor an error count.
* No results (an ``error`` or ``started`` log) → the sample summaries are read; those completed
  without error count.
* A read failure counts 0 (with a warning).

Then: a task that names an epochs reducer different from the log's counts 0; a log run with more
epochs than the task is scaled down to the task's epochs.

The reads beyond the header go through the storage seam (``inspect_flow._logs.count_samples``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from inspect_flow._errors import one_line
from inspect_flow._logs import CountKind, count_samples

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
    return valid_samples_all([(log, epochs, reducer)])[0]


def valid_samples_all(items: Sequence[tuple[EvalLog, int, list[str] | None]]) -> list[int]:
    """:func:`valid_samples` for many (log, epochs, reducer) at once, in order.

    The reads beyond the header (error, started and invalidated logs) run together on one event
    loop instead of one loop per log.
    """
    reads = {i: kind for i, (log, _, _) in enumerate(items) if (kind := _read_needed(log))}
    counts = count_samples([(str(items[i][0].location), kind) for i, kind in reads.items()])
    counted = dict(zip(reads, counts, strict=True))
    results = []
    for i, (log, epochs, reducer) in enumerate(items):
        samples = _raw_count(log, counted.get(i))
        config = log.eval.config
        if reducer is not None and list(reducer) != list(config.epochs_reducer or ["mean"]):
            samples = 0
        else:
            log_epochs = config.epochs or 1
            if log_epochs > epochs:
                samples = int(samples * epochs / log_epochs)
        results.append(samples)
    return results


def _read_needed(log: EvalLog) -> CountKind | None:
    """Return what must be read to count ``log``'s samples (None: its header says)."""
    if log.results is not None and not log.invalidated:
        return None
    return "valid" if log.invalidated else "completed"


def _raw_count(log: EvalLog, counted: int | Exception | None) -> int:
    if counted is None:
        assert log.results is not None
        return log.results.completed_samples
    if isinstance(counted, Exception):
        logger.warning("Could not count the samples of %s: %s", log.location, one_line(counted))
        return 0
    return counted
