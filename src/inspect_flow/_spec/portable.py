"""Portable specs: specs that can be written as YAML or JSON and loaded elsewhere unchanged.

A spec stops being portable when it holds Python objects: functions (a ``factory=my_task``),
inspect objects (``Task``, ``Model``, solvers, scorers) or anything else that is not data.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from inspect_flow._errors import FlowUsageError
from inspect_flow._spec.dump import object_name
from inspect_flow._spec.models import FlowSpec

_HINT = (
    "Name tasks, solvers, scorers and models by registry name or file.py@name instead of "
    "passing Python objects."
)


@dataclass
class SpecViolation:
    """One part of a spec that is not portable.

    Attributes:
        path: The dot path of the value (``tasks.0.factory``).
        message: What is wrong with it.

    """

    path: str
    message: str


class SpecNotPortableError(FlowUsageError):
    """A spec holds values that cannot be written to a spec file.

    Attributes:
        violations: Each value that is not portable.
        hint: How to fix them.

    """

    def __init__(self, violations: list[SpecViolation], hint: str | None = None) -> None:
        self.violations = violations
        self.hint = hint
        listed = "; ".join(f"{v.path}: {v.message}" for v in violations)
        text = f"Spec is not portable: {listed}"
        super().__init__(f"{text}. {hint}" if hint else text)


def validate_portable_spec(spec: FlowSpec) -> None:
    """Check that ``spec`` holds only data (it can be dumped and loaded again unchanged).

    Raises:
        SpecNotPortableError: Listing every value that is not data, with its dot path.

    """
    violations = list(_violations(spec, ""))
    if violations:
        raise SpecNotPortableError(violations, _HINT)


def _violations(value: Any, path: str) -> Iterator[SpecViolation]:
    if isinstance(value, BaseModel):
        for name in type(value).model_fields:
            if name in value.model_fields_set and getattr(value, name) is not None:
                yield from _violations(getattr(value, name), _join(path, name))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _violations(item, _join(path, str(key)))
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from _violations(item, _join(path, str(index)))
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            yield from _violations(getattr(value, field.name), _join(path, field.name))
    elif value is not None and not isinstance(value, (str, int, float, bool)):
        shown = object_name(value)
        yield SpecViolation(
            path, f"{shown} is a Python object: it cannot be written to a spec file"
        )


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name
