"""Command-line overrides of a spec: ``-A key=value``, ``-s dot.path=value``, and merging specs."""

from __future__ import annotations

import types
import typing
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from inspect_flow._errors import FlowUsageError

M = TypeVar("M", bound=BaseModel)


def apply_set(spec: M, path: str, value: Any) -> None:
    """Set a dot-path of a spec in place (``options.limit``, ``tasks.0.args.n``).

    JSON lists and objects replace the current value; a plain value is appended when the current
    value is a list. Missing intermediate models and dicts are created.

    Raises:
        FlowUsageError: The path names no field, or the value does not validate.

    """
    parts = path.split(".")
    current: Any = spec
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        where = ".".join(parts[: depth + 1])
        if isinstance(current, BaseModel):
            if part not in type(current).model_fields:
                raise FlowUsageError(
                    f"Invalid --set {path}: {type(current).__name__} has no field '{part}'"
                )
            if last:
                _assign(current, part, _combined(getattr(current, part), value), path)
                return
            child = getattr(current, part)
            if child is None:
                child = _empty_for(type(current), part, where)
                _assign(current, part, child, path)
                child = getattr(current, part)
            current = child
        elif isinstance(current, dict):
            if last:
                current[part] = _combined(current.get(part), value)
                return
            current = current.setdefault(part, {})
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            if last:
                current[int(part)] = value
                return
            current = current[int(part)]
        else:
            raise FlowUsageError(f"Invalid --set {path}: cannot set inside {where}")


def merge(base: M, add: M) -> M:
    """Merge two specs (or spec parts): fields set in ``add`` win, nested models and dicts merge.

    Lists are not concatenated: a list set in ``add`` replaces the one in ``base``.
    """
    data: dict[str, Any] = {}
    for name in type(add).model_fields:
        in_top, in_base = name in add.model_fields_set, name in base.model_fields_set
        top_value, base_value = getattr(add, name), getattr(base, name)
        if in_top and in_base and top_value is not None and base_value is not None:
            if isinstance(top_value, BaseModel) and type(top_value) is type(base_value):
                data[name] = merge(base_value, top_value)
            elif isinstance(top_value, dict) and isinstance(base_value, dict):
                data[name] = {**base_value, **top_value}
            else:
                data[name] = top_value
        elif in_top:
            data[name] = top_value
        elif in_base:
            data[name] = base_value
    return type(add)(**data)


def _combined(current: Any, value: Any) -> Any:
    if isinstance(current, list) and not isinstance(value, (list, dict)):
        return [*current, value]
    return value


def _assign(model: BaseModel, field: str, value: Any, path: str) -> None:
    try:
        setattr(model, field, value)  # validate_assignment: the value is checked
    except ValidationError as exc:
        first = exc.errors()[0]
        raise FlowUsageError(f"Invalid --set {path}: {first['msg']}") from exc


def _empty_for(cls: type[BaseModel], field: str, where: str) -> Any:
    annotation = cls.model_fields[field].annotation
    options = typing.get_args(annotation) if _is_union(annotation) else (annotation,)
    for option in options:
        if isinstance(option, type) and issubclass(option, BaseModel):
            return option()
        if typing.get_origin(option) is dict:
            return {}
    raise FlowUsageError(f"Invalid --set: cannot set inside {where}")


def _is_union(annotation: Any) -> bool:
    return typing.get_origin(annotation) in (typing.Union, types.UnionType)
