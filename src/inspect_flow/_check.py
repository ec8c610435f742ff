"""``check``: match a spec's tasks to the logs of a directory and report completeness.

Every log under the log directory is listed (recursively) and its header read concurrently; a log
that cannot be read is listed as unreadable and never aborts the check. Each readable log is
matched to at most one spec task by identity (``inspect_flow._spec.identity``). Logs rejected by
``filter``/``exclude`` never count. Among a task's logs the best is the one with the most valid
samples; on a tie the most recently completed log wins (then the newest file). The others are
its duplicates.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from inspect_flow._errors import FlowUsageError
from inspect_flow._init import ensure_initialised
from inspect_flow._logs import normalize
from inspect_flow._spec.identity import TaskIdentity, file_match, split_identifier
from inspect_flow._spec.models import FlowSpec, FlowTask

if TYPE_CHECKING:
    from inspect_ai.log import EvalLog

    from inspect_flow._spec.instantiate import SpecTask

Phase = Callable[[str], AbstractContextManager[Callable[[str], None]]]
"""Runs a block as a named phase (``instantiate``, ``logs``); yields ``done(message)``."""


@dataclass
class CheckTask:
    """One spec task and the log that best completes it.

    Attributes:
        name: The task name.
        task: The spec task (after defaults).
        log_file: The chosen log (URI), or None.
        samples: Valid samples in the chosen log.
        total_samples: Samples a complete log has (None when unknown).
        duplicate_logs: The task's other logs (URIs).
        model: The task's model.
        differentiator: What tells this task apart from others of the same name (model first).
        reason: Why the task is incomplete (None when complete).
        filtered_logs: The task's logs rejected by the filters (URIs).
        tags: The chosen log's tags.

    """

    name: str
    task: FlowTask
    log_file: str | None
    samples: int
    total_samples: int | None
    duplicate_logs: list[str] = field(default_factory=list)
    model: str = ""
    differentiator: str = ""
    reason: str | None = None
    filtered_logs: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """Whether the chosen log has every expected sample."""
        return self.total_samples is not None and self.samples >= self.total_samples


@dataclass
class CheckResult:
    """The outcome of a check.

    Attributes:
        is_complete: Every task is complete.
        tasks: One entry per spec task, in spec order.
        unrecognized: Logs that match no task (URIs).
        log_dir: The directory searched (URI).
        unreadable: Logs that could not be read (URI → reason).
        qualifier_header: ``Model``, ``Differentiator``, or None when no task has a qualifier.
        spec_tasks: The instantiated spec tasks (``SpecTask``), in spec order (``flow run``
            runs them).

    """

    is_complete: bool
    tasks: list[CheckTask]
    unrecognized: list[str]
    log_dir: str = ""
    unreadable: dict[str, str] = field(default_factory=dict)
    qualifier_header: str | None = None
    spec_tasks: list[Any] = field(default_factory=list, repr=False, compare=False)


def check(
    spec: FlowSpec,
    base_dir: str | None = None,
    *,
    log_dir: str | None = None,
    filter: Any = None,
    exclude: Any = None,
    status: Callable[[str], None] | None = None,
    phase: Phase | None = None,
) -> CheckResult:
    """Check a spec against the logs of its log directory.

    A spec with ``execution_type="venv"`` is checked in a temporary venv holding its
    dependencies (``inspect_flow._check_venv``; it must come from a file, and then also reports
    an ``env`` phase first).

    Args:
        spec: The spec (from ``load_spec`` or built in Python).
        base_dir: The folder relative paths of the spec are resolved against (default: the spec
            file's folder for a loaded spec, else the CWD).
        log_dir: Search this directory instead of the spec's (relative to the CWD).
        filter: Filter(s) a log must pass to count (callables, names or ``file.py@name``).
        exclude: Filter(s) a log must not match to count.
        status: Called with progress messages (``Instantiated 3 tasks``, ...).
        phase: Runs each phase (``instantiate``, then ``logs``) as a context manager yielding a
            ``done(message)`` callable, e.g. ``Actions.phase`` of ``inspect_flow._output``; an
            exception inside a phase escapes through it.

    Raises:
        FlowUsageError: No log directory, or an unknown filter.
        FlowError: A task cannot be instantiated, or two tasks have the same identity.

    """
    from inspect_flow._filters import resolve_filters
    from inspect_flow._logs import list_log_files, read_headers
    from inspect_flow._spec.instantiate import instantiate_tasks
    from inspect_flow._spec.load import expand_spec

    ensure_initialised()
    step = _phases(status, phase)
    if spec.execution_type == "venv":  # the tasks need packages that may not be here
        from inspect_flow._check_venv import check_in_venv

        return check_in_venv(
            spec, base_dir, log_dir=log_dir, filter=filter, exclude=exclude, step=step
        )
    base = os.path.abspath(base_dir or spec._base_dir or os.getcwd())
    with ExitStack() as scope:
        with step("instantiate") as done:
            expanded = expand_spec(spec, base)
            # the spec's env holds while tasks are created and logs read, then is restored
            scope.enter_context(spec_env(expanded.env))
            directory = log_dir if log_dir is not None else expanded.log_dir
            if directory is None:
                raise FlowUsageError("log_dir must be set before checking the flow spec")
            where = os.getcwd() if log_dir is not None else base
            location = normalize(directory, where)
            includes = resolve_filters(filter, base)
            excludes = resolve_filters(exclude, base)
            spec_tasks = instantiate_tasks(expanded, base)
            done(f"Instantiated {len(spec_tasks)} task{'s' if len(spec_tasks) != 1 else ''}")
        with step("logs") as done:
            read = read_headers(list_log_files(location))
            done(
                f"Found {len(read.logs)} existing logs in log directory"
                if read.logs
                else "No existing logs found in log directory"
            )
        return match_logs(spec_tasks, read.logs, dict(read.errors), location, includes, excludes)


@contextmanager
def spec_env(env: dict[str, str] | None) -> Iterator[None]:
    """Set the spec's environment variables for the block; restore the previous values."""
    saved = {name: os.environ.get(name) for name in env or {}}
    os.environ.update(env or {})
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _phases(status: Callable[[str], None] | None, phase: Phase | None) -> Phase:
    """Combine the ``status`` and ``phase`` callbacks of ``check`` into one ``Phase``."""

    @contextmanager
    def run(name: str) -> Iterator[Callable[[str], None]]:
        with phase(name) if phase else nullcontext(None) as done:

            def finish(message: str) -> None:
                if status:
                    status(message)
                if done:
                    done(message)

            yield finish

    return run


def match_logs(
    spec_tasks: list[SpecTask],
    logs: list[EvalLog],
    unreadable: dict[str, str],
    location: str,
    includes: Sequence[tuple[str, Any]],
    excludes: Sequence[tuple[str, Any]],
) -> CheckResult:
    """Match logs to instantiated spec tasks: the best log of each task, and what is left over.

    Args:
        spec_tasks: The instantiated tasks (``inspect_flow._spec.instantiate``).
        logs: Log headers (their ``location`` set), newest file first.
        unreadable: Logs that could not be read (URI → reason); extended in place.
        location: The directory searched (shown as ``log_dir``).
        includes: Resolved filters a log must pass to count.
        excludes: Resolved filters a log must not match to count.

    """
    from inspect_flow._filters import passes_filters
    from inspect_flow._spec.counting import valid_samples_all

    by_key: dict[tuple[str, str], list[SpecTask]] = {}
    for spec_task in spec_tasks:
        by_key.setdefault((spec_task.identity.name, spec_task.identity.rest), []).append(spec_task)
    candidates: dict[int, list[tuple[EvalLog, int]]] = {t.index: [] for t in spec_tasks}
    filtered: dict[int, list[str]] = {t.index: [] for t in spec_tasks}
    unrecognized: list[str] = []
    counted: list[tuple[SpecTask, EvalLog]] = []
    for log in logs:
        identity = _log_identity(log)
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


def _log_identity(log: EvalLog) -> TaskIdentity | None:
    from inspect_ai import task_identifier

    try:
        identifier = task_identifier(log, None)
        file = log.eval.task_file
        return split_identifier(identifier, file, log.eval.task, file)
    except Exception:
        return None


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
    extra = False
    for spec_task, task in zip(spec_tasks, tasks, strict=False):
        group = groups[(spec_task.name, spec_task.model)]
        parts = [] if spec_task.model == "none/none" else [spec_task.model]
        for key, value in spec_task.qualifiers.items():
            if len({g.qualifiers.get(key, "") for g in group}) > 1:
                parts.append(f"{key}={value or None}")
                extra = True
        task.differentiator = ", ".join(parts)
    if not any(t.differentiator for t in tasks):
        return None
    return "Differentiator" if extra else "Model"
