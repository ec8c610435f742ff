"""Run instantiated spec tasks with ``inspect_ai.eval_set`` in this process.

The tasks arrive with their ``FlowTask`` settings already applied (model, config, solver, limits,
epochs: ``inspect_flow._spec.instantiate``), so ``eval_set`` gets only the run-wide options: every
``FlowSpec.options`` field that is an ``eval_set`` parameter, plus the log dir and display.

One private inspect_ai name is used: ``PrerequisiteError`` (``inspect_ai/_util/error.py``), the
error ``eval_set`` raises for a dirty log dir or a conflicting eval set id; it becomes a one-line
``FlowError``.
"""

from __future__ import annotations

import inspect
import re
from typing import TYPE_CHECKING, Any

from inspect_flow._errors import FlowError, FlowUsageError

if TYPE_CHECKING:
    from inspect_ai.log import EvalLog

    from inspect_flow._spec.instantiate import SpecTask
    from inspect_flow._spec.models import FlowSpec

# Set by the run itself, never taken from the spec's options.
_OWN = {"tasks", "log_dir", "model", "kwargs", "sample_id"}
_MARKUP = re.compile(r"\[/?[a-z ]+\]")


def eval_set_options(
    spec: FlowSpec,
    spec_tasks: list[SpecTask],
    *,
    display: str | None = None,
    log_level: str | None = None,
) -> dict[str, Any]:
    """Return the ``eval_set`` keyword arguments for a spec (everything but tasks and log dir).

    Args:
        spec: The expanded spec.
        spec_tasks: Its instantiated tasks (for ``sample_id``).
        display: The display, when given on the command line (wins over ``options.display``).
        log_level: inspect's log level, when given on the command line.

    Raises:
        FlowUsageError: The tasks name different ``sample_id`` values (``eval_set`` takes one).

    """
    from inspect_ai import eval_set

    accepted = set(inspect.signature(eval_set).parameters) - _OWN
    options = spec.options
    result: dict[str, Any] = {}
    if options is not None:
        for name in options.model_fields_set:
            value = getattr(options, name)
            if name in accepted and value is not None:
                result[name] = value
    if display is not None:
        result["display"] = display
    if log_level is not None:
        result["log_level"] = log_level
    ids = {_key(t.flow_task.sample_id) for t in spec_tasks}
    if len(ids) > 1:
        raise FlowUsageError(
            "flow run needs one sample_id for every task (eval_set takes a single sample_id)"
        )
    sample_id = spec_tasks[0].flow_task.sample_id if spec_tasks else None
    if sample_id is not None:
        result["sample_id"] = sample_id
    return result


def _key(value: Any) -> str:
    return repr(value)


def run_eval_set(
    spec_tasks: list[SpecTask], log_dir: str, options: dict[str, Any]
) -> tuple[bool, list[EvalLog]]:
    """Run the tasks as one eval set in ``log_dir``; return its success flag and logs.

    Raises:
        FlowError: ``eval_set`` refused to start (a dirty log dir, a conflicting eval set id).
        KeyboardInterrupt: The run was interrupted (its partial logs stay in ``log_dir``).

    """
    from inspect_ai import eval_set

    from inspect_flow._logs import is_local, local_path

    target = local_path(log_dir) if is_local(log_dir) else log_dir
    try:
        success, logs = eval_set([t.task for t in spec_tasks], log_dir=target, **options)
    except Exception as exc:
        if type(exc).__name__ == "PrerequisiteError":
            text = " ".join(_MARKUP.sub("", str(exc)).split())
            raise FlowError(text.removeprefix("ERROR: ")) from exc
        raise
    return bool(success), list(logs)
