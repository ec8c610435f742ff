"""Specs: the ``FlowSpec`` models, loading spec files, task instantiation and task identity."""

from inspect_flow._spec.load import load_spec
from inspect_flow._spec.matrix import models_matrix, models_with, tasks_matrix, tasks_with
from inspect_flow._spec.models import (
    FlowDefaults,
    FlowEpochs,
    FlowModel,
    FlowOptions,
    FlowSpec,
    FlowStoreConfig,
    FlowTask,
)
from inspect_flow._spec.overrides import merge

__all__ = [
    "FlowDefaults",
    "FlowEpochs",
    "FlowModel",
    "FlowOptions",
    "FlowSpec",
    "FlowStoreConfig",
    "FlowTask",
    "load_spec",
    "merge",
    "models_matrix",
    "models_with",
    "tasks_matrix",
    "tasks_with",
]
