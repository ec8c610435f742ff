"""Specs: the ``FlowSpec`` models, loading spec files, task instantiation and task identity.

``__all__`` lists the public spec names (``inspect_flow`` re-exports them); ``load_spec`` is
public through ``inspect_flow.api``.

Names are exported lazily: the models import inspect_ai, and a ``_flow.py`` that only imports
``after_load`` (from the light ``hooks`` module) must not pay for it on every ``flow step``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from inspect_flow._lazy import lazy_dir, lazy_exports

_EXPORTS: dict[str, str] = {
    "load_spec": "inspect_flow._spec.load",
    "merge": "inspect_flow._spec.overrides",
    "agents_matrix": "inspect_flow._spec.matrix",
    "agents_with": "inspect_flow._spec.matrix",
    "configs_matrix": "inspect_flow._spec.matrix",
    "configs_with": "inspect_flow._spec.matrix",
    "models_matrix": "inspect_flow._spec.matrix",
    "models_with": "inspect_flow._spec.matrix",
    "scorers_matrix": "inspect_flow._spec.matrix",
    "scorers_with": "inspect_flow._spec.matrix",
    "solvers_matrix": "inspect_flow._spec.matrix",
    "solvers_with": "inspect_flow._spec.matrix",
    "tasks_matrix": "inspect_flow._spec.matrix",
    "tasks_with": "inspect_flow._spec.matrix",
    "FlowAgent": "inspect_flow._spec.models",
    "FlowDefaults": "inspect_flow._spec.models",
    "FlowDependencies": "inspect_flow._spec.models",
    "FlowEpochs": "inspect_flow._spec.models",
    "FlowExtraArgs": "inspect_flow._spec.models",
    "FlowFactory": "inspect_flow._spec.models",
    "FlowModel": "inspect_flow._spec.models",
    "FlowOptions": "inspect_flow._spec.models",
    "FlowScorer": "inspect_flow._spec.models",
    "FlowSolver": "inspect_flow._spec.models",
    "FlowSpec": "inspect_flow._spec.models",
    "FlowStoreConfig": "inspect_flow._spec.models",
    "FlowTask": "inspect_flow._spec.models",
    "InstantiateConfig": "inspect_flow._spec.models",
}

if TYPE_CHECKING:
    from inspect_flow._spec.load import load_spec as load_spec
    from inspect_flow._spec.matrix import (
        agents_matrix,
        agents_with,
        configs_matrix,
        configs_with,
        models_matrix,
        models_with,
        scorers_matrix,
        scorers_with,
        solvers_matrix,
        solvers_with,
        tasks_matrix,
        tasks_with,
    )
    from inspect_flow._spec.models import (
        FlowAgent,
        FlowDefaults,
        FlowDependencies,
        FlowEpochs,
        FlowExtraArgs,
        FlowFactory,
        FlowModel,
        FlowOptions,
        FlowScorer,
        FlowSolver,
        FlowSpec,
        FlowStoreConfig,
        FlowTask,
        InstantiateConfig,
    )
    from inspect_flow._spec.overrides import merge

__all__ = [
    "FlowAgent",
    "FlowDefaults",
    "FlowDependencies",
    "FlowEpochs",
    "FlowExtraArgs",
    "FlowFactory",
    "FlowModel",
    "FlowOptions",
    "FlowScorer",
    "FlowSolver",
    "FlowSpec",
    "FlowStoreConfig",
    "FlowTask",
    "InstantiateConfig",
    "agents_matrix",
    "agents_with",
    "configs_matrix",
    "configs_with",
    "merge",
    "models_matrix",
    "models_with",
    "scorers_matrix",
    "scorers_with",
    "solvers_matrix",
    "solvers_with",
    "tasks_matrix",
    "tasks_with",
]

__getattr__ = lazy_exports(__name__, _EXPORTS, globals())
__dir__ = lazy_dir(_EXPORTS, globals())
