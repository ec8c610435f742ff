"""The ONE shim over private inspect_ai names that spec resolution needs.

``inspect_ai.task_identifier`` is public and is imported directly by callers; everything below is
private in inspect_ai 0.3.285 and is wrapped here so a change upstream touches one file:

* ``EvalSetArgsInTaskIdentifier`` — ``inspect_ai/_eval/evalset.py``
* ``eval_resolve_tasks`` — ``inspect_ai/_eval/eval.py``
* ``ResolvedTask`` — ``inspect_ai/_eval/task/resolved.py``
* ``load_tasks``, ``solver_from_spec``, ``scorer_from_spec`` — ``inspect_ai/_eval/loader.py``
* ``ScorerSpec`` — ``inspect_ai/scorer/_scorer.py``
* ``registry_lookup`` — ``inspect_ai/_util/registry.py``
* ``slice_dataset`` — ``inspect_ai/_eval/task/util.py``
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from inspect_ai import Task
    from inspect_ai.dataset import Dataset
    from inspect_ai.model import Model
    from inspect_ai.solver import Solver


def resolve_task(task: Task, model: Model, sample_shuffle: bool | int | None) -> Any:
    """Resolve one task the way ``eval_set`` does (returns an inspect ``ResolvedTask``).

    Args:
        task: The instantiated task (``task_with`` overrides already applied).
        model: The model used when the task names none.
        sample_shuffle: The spec's ``options.sample_shuffle``.

    """
    from inspect_ai._eval.eval import eval_resolve_tasks
    from inspect_ai.model import GenerateConfig

    resolved, _, _ = eval_resolve_tasks(
        [task], {}, [model], None, GenerateConfig(), None, None, sample_shuffle
    )
    return resolved[0]


def identifier_args() -> Any:
    """Return the eval-set arguments ``task_identifier`` takes (no eval-level overrides)."""
    from inspect_ai._eval.evalset import EvalSetArgsInTaskIdentifier
    from inspect_ai.model import GenerateConfig

    return EvalSetArgsInTaskIdentifier(config=GenerateConfig())


def without_task_file(resolved: Any) -> Any:
    """Return a copy of a ``ResolvedTask`` whose ``task_file`` is cleared."""
    import dataclasses

    return dataclasses.replace(resolved, task_file=None)


def load_task(spec: str, args: dict[str, Any]) -> list[Task]:
    """Load tasks by inspect's task spec (``file.py``, ``file.py@name``, registry name)."""
    from inspect_ai._eval.loader import load_tasks

    return load_tasks([spec], args)


def solver_named(name: str, args: dict[str, Any]) -> Solver:
    """Create a registered solver (``name`` or ``file.py@name``) with arguments."""
    from inspect_ai._eval.loader import solver_from_spec
    from inspect_ai.solver import SolverSpec

    # inspect creates the solver from ``args_passed``; ``args`` is only recorded
    return solver_from_spec(SolverSpec(solver=name, args=args, args_passed=args))


def size_after_sample_id(
    dataset: Dataset, sample_id: str | int | list[str] | list[int] | list[str | int] | None
) -> int:
    """Return how many samples a run with ``sample_id`` selects (0 when none match)."""
    from inspect_ai._eval.task.util import slice_dataset

    if sample_id is None:
        return len(dataset)
    try:
        return len(slice_dataset(dataset, None, sample_id))
    except Exception:  # inspect raises PrerequisiteError when no id matches
        return 0


def registered(kind: str, name: str) -> object | None:
    """Return the registered ``@task``/``@solver``/``@agent``/``@scorer`` function ``name``."""
    from inspect_ai._util.registry import registry_lookup

    return registry_lookup(kind, name)  # type: ignore[arg-type]


def scorer_named(name: str, args: dict[str, Any]) -> Any:
    """Create a registered scorer (``name`` or ``file.py@name``) with arguments."""
    from inspect_ai._eval.loader import scorer_from_spec
    from inspect_ai.scorer._scorer import ScorerSpec

    return scorer_from_spec(ScorerSpec(scorer=name, args=args), None, **args)
