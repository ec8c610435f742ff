"""What ``check`` returns: ``CheckTask`` and ``CheckResult``, and their one JSON format.

``CheckResult.to_json`` is what ``flow check --json`` prints (Flow 0.14's shape, plus ``model``,
``differentiator``, ``reason``, ``filtered_logs``, ``tags`` and ``unreadable``);
``CheckResult.from_json`` reads it back. The ``--venv`` check uses both ends: the child prints
``to_json``, the parent reads it with ``from_json``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

from inspect_flow._logs import is_local, local_path, normalize
from inspect_flow._spec.models import FlowTask

Phase = Callable[[str], AbstractContextManager[Callable[[str], None]]]
"""Reports one named phase of a check (``env``, ``instantiate``, ``logs``) to the caller.

``phase(name)`` is entered when the phase starts and yields ``done(message)``, which the check calls
with what the phase found (``Instantiated 3 tasks``); an exception inside a phase escapes through
it. The library only reports; a caller such as the CLI draws it (``Actions.phase`` of
``inspect_flow._output``).
"""


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

    def to_json(self) -> dict[str, Any]:
        """Return this task as an entry of ``CheckResult.to_json()["tasks"]``."""
        return {
            "name": self.name,
            "model": self.model,
            "differentiator": self.differentiator,
            "log_file": self.log_file,
            "samples": self.samples,
            "total_samples": self.total_samples,
            "complete": self.complete,
            "reason": self.reason,
            "duplicate_logs": self.duplicate_logs,
            "filtered_logs": self.filtered_logs,
            "tags": self.tags,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], task: FlowTask | None = None) -> CheckTask:
        """Read a task entry of ``to_json``.

        Args:
            data: The entry.
            task: The spec task it belongs to (JSON does not hold it); by default a
                ``FlowTask`` named after the entry.

        """
        return cls(
            name=data["name"],
            task=task if task is not None else FlowTask(name=data["name"]),
            log_file=data.get("log_file"),
            samples=data.get("samples", 0),
            total_samples=data.get("total_samples"),
            duplicate_logs=list(data.get("duplicate_logs", [])),
            model=data.get("model", ""),
            differentiator=data.get("differentiator", ""),
            reason=data.get("reason"),
            filtered_logs=list(data.get("filtered_logs", [])),
            tags=list(data.get("tags", [])),
        )


@dataclass
class CheckResult:
    """The outcome of a check.

    Attributes:
        is_complete: Every task is complete.
        tasks: One entry per spec task, in spec order.
        unrecognized: Logs that match no task (URIs).
        log_dir: The directory searched (URI).
        unreadable: Logs (and folders) that could not be read (URI → reason).
        qualifier_header: ``Model``, ``Differentiator``, or None when no task has a qualifier.
        spec_tasks: The instantiated spec tasks (``SpecTask``), in spec order (``flow run`` runs
            them).

    """

    is_complete: bool
    tasks: list[CheckTask]
    unrecognized: list[str]
    log_dir: str = ""
    unreadable: dict[str, str] = field(default_factory=dict)
    qualifier_header: str | None = None
    spec_tasks: list[Any] = field(default_factory=list, repr=False, compare=False)

    @property
    def logs_found(self) -> int:
        """How many readable logs the check saw (chosen, duplicates, filtered, unexpected)."""
        chosen = sum(1 for t in self.tasks if t.log_file)
        others = sum(len(t.duplicate_logs) + len(t.filtered_logs) for t in self.tasks)
        return chosen + others + len(self.unrecognized)

    def to_json(self) -> dict[str, Any]:
        """Return the result in the ``flow check --json`` format (local ``log_dir`` as a path)."""
        complete = sum(1 for t in self.tasks if t.complete)
        return {
            "log_dir": local_path(self.log_dir) if is_local(self.log_dir) else self.log_dir,
            "tasks": [task.to_json() for task in self.tasks],
            "unrecognized": self.unrecognized,
            "unreadable": [{"log": k, "error": v} for k, v in self.unreadable.items()],
            "summary": {
                "total": len(self.tasks),
                "complete": complete,
                "incomplete": len(self.tasks) - complete,
            },
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], tasks: Sequence[FlowTask | None] = ()) -> CheckResult:
        """Read a result in the format of ``to_json``.

        Args:
            data: The JSON object.
            tasks: The spec's tasks, in order, to attach to the entries (JSON does not hold
                them); missing ones become ``FlowTask`` objects named after the entry.

        Raises:
            ValueError: ``data`` is not a check result.

        """
        if not isinstance(data, dict) or not isinstance(data.get("tasks"), list):
            raise ValueError("not a check result (no 'tasks' list)")
        entries = [
            CheckTask.from_json(item, tasks[i] if i < len(tasks) else None)
            for i, item in enumerate(data["tasks"])
        ]
        return cls(
            is_complete=all(t.complete for t in entries),
            tasks=entries,
            unrecognized=list(data.get("unrecognized", [])),
            log_dir=normalize(data["log_dir"]) if data.get("log_dir") else "",
            unreadable={u["log"]: u["error"] for u in data.get("unreadable", [])},
            qualifier_header=qualifier_header(entries),
        )


def qualifier_header(tasks: Sequence[CheckTask]) -> str | None:
    """Return the qualifier column's header for tasks whose ``differentiator`` is filled.

    ``Model`` when every qualifier is just the model, ``Differentiator`` when some task is told
    apart by more, None when no task has a qualifier.
    """
    if not any(t.differentiator for t in tasks):
        return None
    only_models = all(t.differentiator in ("", t.model) for t in tasks)
    return "Model" if only_models else "Differentiator"
