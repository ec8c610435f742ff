"""inspect_flow: workflow steps, filters and completeness checks for Inspect AI eval logs.

Public names are imported lazily so that ``import inspect_flow`` (and ``flow --help``) stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from inspect_flow._lazy import lazy_exports

__version__ = "0.14.0"

# name -> module that defines it
_EXPORTS: dict[str, str] = {
    "step": "inspect_flow._steps.step",
    "StepResult": "inspect_flow._steps.step",
    "log_filter": "inspect_flow._filters",
    "LogFilter": "inspect_flow._filters",
    **{
        name: "inspect_flow._spec"
        for name in (
            "FlowSpec",
            "FlowTask",
            "FlowModel",
            "FlowOptions",
            "FlowDefaults",
            "FlowEpochs",
            "FlowStoreConfig",
            "tasks_matrix",
            "tasks_with",
            "models_matrix",
            "models_with",
            "merge",
        )
    },
}

if TYPE_CHECKING:
    from inspect_flow._filters import LogFilter, log_filter
    from inspect_flow._spec import (
        FlowDefaults,
        FlowEpochs,
        FlowModel,
        FlowOptions,
        FlowSpec,
        FlowStoreConfig,
        FlowTask,
        merge,
        models_matrix,
        models_with,
        tasks_matrix,
        tasks_with,
    )
    from inspect_flow._steps.step import StepResult, step

__all__ = [
    "FlowDefaults",
    "FlowEpochs",
    "FlowModel",
    "FlowOptions",
    "FlowSpec",
    "FlowStoreConfig",
    "FlowTask",
    "LogFilter",
    "StepResult",
    "__version__",
    "log_filter",
    "merge",
    "models_matrix",
    "models_with",
    "step",
    "tasks_matrix",
    "tasks_with",
]


__getattr__ = lazy_exports(__name__, _EXPORTS, globals())
