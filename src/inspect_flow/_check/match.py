"""Match a spec's tasks to logs: identity, filters, the best log per task, and why a task is short.

Each readable log is matched to at most one spec task by identity (``inspect_flow._spec.identity``).
Logs rejected by ``filter``/``exclude`` never count. Among a task's logs the best is the one with
the most valid samples; on a tie the most recently completed log wins (then the newest file). The
others are its duplicates.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from inspect_flow._check.identify import IdentityCache
from inspect_flow._check.result import CheckResult, CheckTask, qualifier_header
from inspect_flow._spec.identity import TaskIdentity, file_match

if TYPE_CHECKING:
    from inspect_ai.log import EvalLog

    from inspect_flow._spec.instantiate import SpecTask


def match_logs(
    spec_tasks: list[SpecTask],
    logs: list[EvalLog],
    unreadable: dict[str, str],
    location: str,
    includes: Sequence[tuple[str, Any]],
    excludes: Sequence[tuple[str, Any]],
) -> CheckResult:
    """Match ``logs`` to ``spec_tasks`` and build the result (``unreadable`` is extended)."""
    from inspect_flow._check.counting import valid_samples_all
    from inspect_flow._filters import passes_filters

    by_key: dict[tuple[str, str], list[SpecTask]] = {}
    for spec_task in spec_tasks:
        by_key.setdefault((spec_task.identity.name, spec_task.identity.rest), []).append(spec_task)
    candidates: dict[int, list[tuple[EvalLog, int]]] = {t.index: [] for t in spec_tasks}
    filtered: dict[int, list[str]] = {t.index: [] for t in spec_tasks}
    unrecognized: list[str] = []
    counted: list[tuple[SpecTask, EvalLog]] = []
    identities = IdentityCache()
    for log in logs:
        identity = identities.identity(log)
        if identity is None:
            unreadable[str(log.location)] = "not an eval log with a task identity"
            continue
        owner = _owner(identity, by_key.get((identity.name, identity.rest), []))
        if owner is None:
            unrecognized.append(str(log.location))
        elif not passes_filters(log, includes, excludes):
            filtered[owner.index].append(str(log.location))
        else:
            counted.append((owner, log))
    # counted together: the reads beyond the header share one event loop
    samples = valid_samples_all([(log, owner.epochs, owner.reducer) for owner, log in counted])
    for (owner, log), count in zip(counted, samples, strict=True):
        candidates[owner.index].append((log, count))
    tasks = [
        _check_task(t, candidates[t.index], filtered[t.index], len(unreadable)) for t in spec_tasks
    ]
    header = _differentiate(spec_tasks, tasks)
    return CheckResult(
        is_complete=all(t.complete for t in tasks),
        tasks=tasks,
        unrecognized=unrecognized,
        log_dir=location,
        unreadable=unreadable,
        qualifier_header=header,
        spec_tasks=list(spec_tasks),
    )


def _owner(identity: TaskIdentity, tasks: list[SpecTask]) -> SpecTask | None:
    """Return the task whose file best matches the log's (the first in spec order on a tie)."""
    best, best_score = None, 0
    for task in tasks:
        score = file_match(identity.file, task.identity.file)
        if score > best_score:
            best, best_score = task, score
    return best


def _check_task(
    spec_task: SpecTask, logs: list[tuple[EvalLog, int]], filtered: list[str], unreadable: int
) -> CheckTask:
    # logs arrive newest file first and the sort is stable, so the newest file wins a full tie
    ranked = sorted(logs, key=lambda item: (item[1], _completed_at(item[0])), reverse=True)
    best = ranked[0] if ranked else None
    expected = spec_task.expected_samples
    result = CheckTask(
        name=spec_task.name,
        task=spec_task.flow_task,
        log_file=str(best[0].location) if best else None,
        samples=best[1] if best else 0,
        total_samples=expected,
        duplicate_logs=[str(log.location) for log, _ in ranked[1:]],
        model=spec_task.model,
        filtered_logs=filtered,
        tags=list(best[0].tags or []) if best else [],
    )
    if not result.complete:
        result.reason = _reason(result, best[0] if best else None, unreadable)
    return result


def _completed_at(log: EvalLog) -> str:
    return str(log.stats.completed_at or "") if log.stats else ""


def _reason(task: CheckTask, log: EvalLog | None, unreadable: int) -> str:
    if log is None:
        if task.filtered_logs:
            count = len(task.filtered_logs)
            return f"only filtered-out logs ({count} log{'s' if count != 1 else ''})"
        return "no log" + (f" ({unreadable} unreadable in log dir)" if unreadable else "")
    if task.total_samples is None:
        return "expected sample count unknown"
    counts = f"{task.samples}/{task.total_samples}"
    if log.invalidated:
        return f"invalidated ({counts} valid samples)"
    status = f", log status {log.status}" if log.status != "success" else ""
    return f"too few samples ({counts}{status})"


def _differentiate(spec_tasks: list[SpecTask], tasks: list[CheckTask]) -> str | None:
    """Fill each task's ``differentiator``; return the qualifier column's header."""
    groups: dict[tuple[str, str], list[SpecTask]] = {}
    for spec_task in spec_tasks:
        groups.setdefault((spec_task.name, spec_task.model), []).append(spec_task)
    for spec_task, task in zip(spec_tasks, tasks, strict=False):
        group = groups[(spec_task.name, spec_task.model)]
        parts = [] if spec_task.model == "none/none" else [spec_task.model]
        for key, value in spec_task.qualifiers.items():
            if len({g.qualifiers.get(key, "") for g in group}) > 1:
                parts.append(f"{key}={value or None}")
        task.differentiator = ", ".join(parts)
    return qualifier_header(tasks)
