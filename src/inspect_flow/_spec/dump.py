"""Render a spec as plain data (for ``flow config``): unset and None fields are left out."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


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
    if isinstance(value, dict):
        return {str(k): spec_data(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [spec_data(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return _object_name(value)


def spec_yaml(value: Any) -> str:
    """Return ``value`` rendered as YAML (keys in field order)."""
    import yaml

    return yaml.safe_dump(spec_data(value), sort_keys=False, allow_unicode=True)


def _object_name(value: Any) -> str:
    from inspect_ai import Task

    if isinstance(value, Task):
        return f"<Task {value.name}>"
    name = getattr(value, "__qualname__", None) or getattr(value, "__name__", None)
    if callable(value) and name:
        return f"<function {name}>"
    return f"<{type(value).__name__}>"
