"""Specs as plain data: ``dump_spec``, ``load_spec_data`` and ``config`` (``flow config``).

A dump keeps the fields that are set and not None, in each model's field order (0.14's order).
Python objects (functions, inspect ``Task`` objects) are shown by name (``<function addition>``);
``validate_portable_spec`` tells whether a spec is data only.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from inspect_flow._spec.models import FlowSpec


def dump_spec(spec: FlowSpec) -> dict[str, Any]:
    """Return ``spec`` as YAML/JSON-friendly data (set fields only, in field order)."""
    data = spec_data(spec)
    assert isinstance(data, dict)
    return data


def load_spec_data(data: Mapping[str, Any]) -> FlowSpec:
    """Return the ``FlowSpec`` that ``data`` (a mapping as a YAML spec holds) describes.

    Nothing is expanded: ``includes`` and ``_flow.py`` files are merged when the spec is checked
    or run (or by ``config``).

    Raises:
        pydantic.ValidationError: ``data`` is not a valid spec (unknown fields, wrong types).

    """
    return FlowSpec.model_validate(dict(data))


def config(spec: FlowSpec, base_dir: str | None = None) -> str:
    """Return the expanded spec as YAML, as ``flow config`` prints it.

    Args:
        spec: The spec (from ``load_spec``, or built in Python).
        base_dir: The folder a Python-built spec's relative paths and ``_flow.py`` files are
            found from (default: the CWD). Ignored for a spec ``load_spec`` returned.

    """
    from inspect_flow._spec.load import expand_spec

    expanded = expand_spec(spec, os.path.abspath(base_dir or os.getcwd()))
    return spec_yaml(expanded)


def spec_data(value: Any) -> Any:
    """Return ``value`` as YAML/JSON-friendly data.

    Models keep only the fields that are set and not None; inspect objects and functions are
    shown by name (``<Task addition>``, ``<function addition>``).
    """
    if isinstance(value, BaseModel):
        return {
            name: spec_data(getattr(value, name))
            for name in type(value).model_fields
            if name in value.model_fields_set and getattr(value, name) is not None
        }
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: spec_data(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if getattr(value, f.name) is not None
        }
    if isinstance(value, dict):
        return {str(k): spec_data(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [spec_data(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return object_name(value)


def spec_yaml(value: Any) -> str:
    """Return ``value`` rendered as YAML (keys in field order)."""
    import yaml

    return yaml.safe_dump(spec_data(value), sort_keys=False, allow_unicode=True)


def object_name(value: Any) -> str:
    """Name a Python object in a dump (``<function addition>``, ``<Task inline>``)."""
    from inspect_ai import Task
    from inspect_ai.model import Model

    if isinstance(value, Task):
        return f"<Task {value.name}>"
    if isinstance(value, Model):
        return f"<Model {value}>"
    name = getattr(value, "__qualname__", None) or getattr(value, "__name__", None)
    if callable(value) and name:
        return f"<function {name}>"
    return f"<{type(value).__name__}>"
