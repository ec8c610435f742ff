"""Apply ``FlowDefaults`` to a spec's tasks, models, solvers and agents.

The more specific setting wins: what the object sets itself, over the longest matching prefix
entry (``task_prefix``, ``model_prefix``, ...), over shorter matching prefixes, over the general
default (``task``, ``model``, ...). A prefix matches the start of the object's name. Generate
config: ``defaults.config`` < ``FlowTask.config`` < ``FlowModel.config``. Applying defaults
twice gives the same result as applying them once.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

from inspect_flow._spec.models import (
    FlowAgent,
    FlowDefaults,
    FlowFactory,
    FlowModel,
    FlowSolver,
    FlowSpec,
    FlowTask,
)
from inspect_flow._spec.overrides import merge

M = TypeVar("M", bound=BaseModel)


def apply_defaults(spec: FlowSpec) -> None:
    """Apply ``spec.defaults`` to every ``FlowTask`` of ``spec`` (in place)."""
    if spec.defaults is None or not spec.tasks:
        return
    spec.tasks = [
        task_with_defaults(t, spec.defaults) if isinstance(t, FlowTask) else t for t in spec.tasks
    ]


def task_with_defaults(task: FlowTask, defaults: FlowDefaults | None) -> FlowTask:
    """Return ``task`` with ``defaults`` applied (its models, solvers and agents too)."""
    if defaults is None:
        return task
    merged = _layered(task, defaults.task, defaults.task_prefix, task_name(task))
    update: dict[str, Any] = {}
    if defaults.config is not None:
        update["config"] = (
            merge(defaults.config, merged.config) if merged.config else defaults.config
        )
    if merged.model is not None:
        update["model"] = _model(merged.model, defaults)
    if merged.model_roles:
        update["model_roles"] = {
            role: [_model(m, defaults) for m in ref]
            if isinstance(ref, list)
            else _model(ref, defaults)
            for role, ref in merged.model_roles.items()
        }
    if merged.solver is not None:
        update["solver"] = _solver(merged.solver, defaults)
    result = _copy(merged, update) if update else merged
    result._base_dir = task._base_dir
    return result


def task_name(task: FlowTask) -> str:
    """Return the name task prefixes match: ``name``, else the factory's name or reference."""
    factory: Any = task.factory
    if isinstance(factory, FlowFactory):
        factory = factory.factory
    if task.name:
        return task.name
    return str(getattr(factory, "__name__", factory or ""))


def _layered(own: M, general: M | None, prefixes: dict[str, M] | None, name: str | None) -> M:
    """Merge ``general``, then matching prefixes (shortest first), then ``own`` on top."""
    layers = [general] if general is not None else []
    if prefixes and name:
        matching = sorted((p for p in prefixes if name.startswith(p)), key=len)
        layers.extend(prefixes[p] for p in matching)
    if not layers:
        return own
    result = layers[0]
    for layer in [*layers[1:], own]:
        result = merge(result, layer)
    return result


def _model(value: Any, defaults: FlowDefaults) -> Any:
    if isinstance(value, str):
        if defaults.model is None and not _matches(defaults.model_prefix, value):
            return value
        value = FlowModel(name=value)
    if not isinstance(value, FlowModel):
        return value  # an inspect Model is used as it is
    return _layered(value, defaults.model, defaults.model_prefix, value.name)


def _solver(value: Any, defaults: FlowDefaults) -> Any:
    if isinstance(value, list):
        return [_solver(v, defaults) for v in value]
    if isinstance(value, str):
        if defaults.solver is None and not _matches(defaults.solver_prefix, value):
            return value
        value = FlowSolver(name=value)
    if isinstance(value, FlowAgent):
        return _layered(value, defaults.agent, defaults.agent_prefix, value.name)
    if isinstance(value, FlowSolver):
        return _layered(value, defaults.solver, defaults.solver_prefix, value.name)
    return value


def _matches(prefixes: dict[str, Any] | None, name: str) -> bool:
    return bool(prefixes) and any(name.startswith(p) for p in prefixes or {})


def _copy(model: M, update: dict[str, Any]) -> M:
    copied = model.model_copy(update=update)
    copied.model_fields_set.update(update)
    return copied
