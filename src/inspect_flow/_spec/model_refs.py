"""Find every place a spec names a model (``iter_model_refs``)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from inspect_flow._spec._types import GenerateConfig
from inspect_flow._spec.models import FlowDefaults, FlowModel, FlowSpec, FlowTask


@dataclass
class SpecModelRef:
    """A reference to a model in a spec.

    Attributes:
        path: The dot path of the reference (``tasks.0.model``, ``tasks.1.model_roles.grader``,
            ``defaults.config.fallback_models.0``).
        ref: The model: a name, a ``FlowModel``, an inspect ``Model``, or None.
        role: The model role, for ``model_roles`` entries.
        kind: ``model``, or ``fallback`` for a fallback model (``GenerateConfig.fallback_models``,
            or a ``model_roles`` list entry after the first).

    """

    path: str
    ref: Any
    role: str | None = None
    kind: Literal["model", "fallback"] = "model"


def iter_model_refs(spec: FlowSpec) -> Iterator[SpecModelRef]:
    """Yield every model reference of ``spec``, in field order (defaults first, then tasks)."""
    defaults = spec.defaults
    if defaults is not None:
        yield from _defaults_refs(defaults)
    for index, task in enumerate(spec.tasks or []):
        if isinstance(task, FlowTask):
            yield from _task_refs(task, f"tasks.{index}")


def _defaults_refs(defaults: FlowDefaults) -> Iterator[SpecModelRef]:
    yield from _config_refs(defaults.config, "defaults.config")
    if defaults.model is not None:
        yield from _model_refs(defaults.model, "defaults.model", None, "model")
    for prefix, model in (defaults.model_prefix or {}).items():
        yield from _model_refs(model, f"defaults.model_prefix.{prefix}", None, "model")
    if defaults.task is not None:
        yield from _task_refs(defaults.task, "defaults.task")
    for prefix, task in (defaults.task_prefix or {}).items():
        yield from _task_refs(task, f"defaults.task_prefix.{prefix}")


def _task_refs(task: FlowTask, path: str) -> Iterator[SpecModelRef]:
    if task.model is not None:
        yield from _model_refs(task.model, f"{path}.model", None, "model")
    yield from _config_refs(task.config, f"{path}.config")
    for role, ref in (task.model_roles or {}).items():
        where = f"{path}.model_roles.{role}"
        if isinstance(ref, list):
            for index, item in enumerate(ref):
                kind: Literal["model", "fallback"] = "model" if index == 0 else "fallback"
                yield from _model_refs(item, f"{where}.{index}", role, kind)
        else:
            yield from _model_refs(ref, where, role, "model")


def _model_refs(
    ref: Any, path: str, role: str | None, kind: Literal["model", "fallback"]
) -> Iterator[SpecModelRef]:
    if role is None and isinstance(ref, FlowModel):
        role = ref.role
    yield SpecModelRef(path, ref, role, kind)
    if isinstance(ref, FlowModel):
        yield from _config_refs(ref.config, f"{path}.config")


def _config_refs(config: GenerateConfig | None, path: str) -> Iterator[SpecModelRef]:
    for index, name in enumerate((config.fallback_models or []) if config else []):
        yield SpecModelRef(f"{path}.fallback_models.{index}", name, None, "fallback")
