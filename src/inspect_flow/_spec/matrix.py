"""Helpers that expand into lists of tasks or models (``tasks_matrix``, ``tasks_with``, ...).

A ``*_matrix`` helper takes, for each field, a list of values and returns one object per
combination (the cartesian product, in the order the fields are given, the last varying fastest).
A ``*_with`` helper sets the same fields on every object it is given.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any, TypeVar

from inspect_ai.model import GenerateConfig
from pydantic import BaseModel

from inspect_flow._spec.models import FlowAgent, FlowModel, FlowScorer, FlowSolver, FlowTask

M = TypeVar("M", bound=BaseModel)


def tasks_matrix(*, task: Any, **fields: Sequence[Any] | None) -> list[FlowTask]:
    """Return one ``FlowTask`` per combination of ``task`` and each field's values.

    Args:
        task: A task (``FlowTask``, name, task function) or a list of them.
        **fields: ``FlowTask`` fields, each with a list of values (``model=["a", "b"]``,
            ``args=[{"n": 1}, {"n": 2}]``). ``None`` or an empty list leaves the field alone.

    Example:
        ``tasks_matrix(task=["tasks.py@addition"], model=["openai/gpt-4o", "mockllm/model"])``
        gives 2 tasks.

    """
    return _matrix([_as_task(t) for t in _as_list(task)], fields)


def tasks_with(*, task: Any, **fields: Any) -> list[FlowTask]:
    """Return each task with ``fields`` set (values replace what the task had)."""
    return _with([_as_task(t) for t in _as_list(task)], fields)


def models_matrix(*, model: Any, **fields: Sequence[Any] | None) -> list[FlowModel]:
    """Return one ``FlowModel`` per combination of ``model`` and each field's values.

    Example:
        ``models_matrix(model=["mockllm/model"], config=[GenerateConfig(temperature=t) for t in
        (0, 1)])`` gives 2 models.

    """
    return _matrix([_as_model(m) for m in _as_list(model)], fields)


def models_with(*, model: Any, **fields: Any) -> list[FlowModel]:
    """Return each model with ``fields`` set (values replace what the model had)."""
    return _with([_as_model(m) for m in _as_list(model)], fields)


def configs_matrix(*, config: Any = None, **fields: Sequence[Any] | None) -> list[GenerateConfig]:
    """Return one ``GenerateConfig`` per combination of each field's values.

    Args:
        config: A base config, or a list of them (default: an empty config).
        **fields: ``GenerateConfig`` fields, each with a list of values.

    Example:
        ``configs_matrix(temperature=[0.0, 1.0], max_tokens=[100, 1000])`` gives 4 configs.

    """
    bases = [c if c is not None else GenerateConfig() for c in _as_list(config)]
    return _matrix(bases, fields)


def configs_with(*, config: Any, **fields: Any) -> list[GenerateConfig]:
    """Return each config with ``fields`` set."""
    return _with(list(_as_list(config)), fields)


def solvers_matrix(*, solver: Any, **fields: Sequence[Any] | None) -> list[FlowSolver]:
    """Return one ``FlowSolver`` per combination of ``solver`` and each field's values.

    Example:
        ``solvers_matrix(solver="chain_of_thought", args=[{}, {"template": "..."}])`` gives 2.

    """
    return _matrix([_as_named(FlowSolver, s) for s in _as_list(solver)], fields)


def solvers_with(*, solver: Any, **fields: Any) -> list[FlowSolver]:
    """Return each solver with ``fields`` set."""
    return _with([_as_named(FlowSolver, s) for s in _as_list(solver)], fields)


def agents_matrix(*, agent: Any, **fields: Sequence[Any] | None) -> list[FlowAgent]:
    """Return one ``FlowAgent`` per combination of ``agent`` and each field's values."""
    return _matrix([_as_named(FlowAgent, a) for a in _as_list(agent)], fields)


def agents_with(*, agent: Any, **fields: Any) -> list[FlowAgent]:
    """Return each agent with ``fields`` set."""
    return _with([_as_named(FlowAgent, a) for a in _as_list(agent)], fields)


def scorers_matrix(*, scorer: Any, **fields: Sequence[Any] | None) -> list[FlowScorer]:
    """Return one ``FlowScorer`` per combination of ``scorer`` and each field's values."""
    return _matrix([_as_named(FlowScorer, s) for s in _as_list(scorer)], fields)


def scorers_with(*, scorer: Any, **fields: Any) -> list[FlowScorer]:
    """Return each scorer with ``fields`` set."""
    return _with([_as_named(FlowScorer, s) for s in _as_list(scorer)], fields)


def _with(bases: list[M], fields: dict[str, Any]) -> list[M]:
    return [b.model_copy(update=_validated(type(b), fields)) for b in bases]


def _matrix(bases: list[M], fields: dict[str, Sequence[Any] | None]) -> list[M]:
    if not bases:
        return []
    cls = type(bases[0])
    axes = [(name, list(values)) for name, values in fields.items() if values]
    for name, values in fields.items():
        if values is not None and isinstance(values, (str, bytes, dict)):
            raise ValueError(f"{name}: a matrix field takes a list of values")
    results: list[M] = []
    for base in bases:
        for combo in itertools.product(*(values for _, values in axes)):
            update = dict(zip((name for name, _ in axes), combo, strict=False))
            results.append(base.model_copy(update=_validated(cls, update)))
    return results


def _validated(cls: type[BaseModel], update: dict[str, Any]) -> dict[str, Any]:
    """Validate field values through the model (unknown fields are errors)."""
    unknown = sorted(set(update) - set(cls.model_fields))
    if unknown:
        raise ValueError(f"{cls.__name__} has no field {', '.join(unknown)}")
    checked = cls.model_validate(update)
    return {name: getattr(checked, name) for name in update}


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _as_task(value: Any) -> FlowTask:
    if isinstance(value, FlowTask):
        return value
    if isinstance(value, str):
        return FlowTask(name=value)
    if callable(value):
        return FlowTask(factory=value)
    raise ValueError(f"not a task: {value!r}")


def _as_model(value: Any) -> FlowModel:
    if isinstance(value, FlowModel):
        return value
    if isinstance(value, str):
        return FlowModel(name=value)
    raise ValueError(f"not a model: {value!r}")


N = TypeVar("N", FlowSolver, FlowAgent, FlowScorer)


def _as_named(cls: type[N], value: Any) -> N:
    if isinstance(value, cls):
        return value
    if isinstance(value, str):
        return cls(name=value)
    raise ValueError(f"not a {cls.__name__} or a name: {value!r}")
