"""The registries of steps and log filters.

Steps and filters are registered by their decorators (``@step``, ``@log_filter``) when the module
that defines them is executed. Built-in steps register exactly like user steps. A later registration
under the same name replaces the earlier one; discovery loads ``_flow.py`` files farthest-first so
the nearest file wins.
"""

from __future__ import annotations

import inspect
import sys
import sysconfig
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class StepInfo:
    """A registered step.

    Attributes:
        name: The CLI name (function name minus one trailing ``_step``).
        qualified_name: ``pkg/name`` for steps defined in installed packages, else ``name``.
        func: The undecorated step function.
        wrapper: The callable that ``@step`` returned (what users call from Python).
        source_file: Absolute path of the file defining ``func``, when known.
    """

    name: str
    qualified_name: str
    func: Callable[..., Any]
    wrapper: Callable[..., Any]
    source_file: str | None = None


@dataclass
class FilterInfo:
    """A registered log filter.

    Attributes:
        name: The filter's name (its function name).
        qualified_name: ``pkg/name`` for filters defined in installed packages, else ``name``.
        func: The filter function, ``(EvalLog) -> bool``.
        source_file: Absolute path of the file defining ``func``, when known.
    """

    name: str
    qualified_name: str
    func: Callable[..., Any]
    source_file: str | None = None


@dataclass
class _Registry:
    steps: dict[str, StepInfo] = field(default_factory=dict)
    filters: dict[str, FilterInfo] = field(default_factory=dict)


_REGISTRY = _Registry()


def step_name_for(func: Callable[..., Any]) -> str:
    """Return the registry name of a step function: its name minus one trailing ``_step``."""
    name: str = getattr(func, "__name__", "step")
    if name.endswith("_step") and len(name) > len("_step"):
        name = name[: -len("_step")]
    return name


def source_file_of(func: Callable[..., Any]) -> str | None:
    """Return the absolute path of the file that defines ``func`` (None when unknown)."""
    try:
        source = inspect.getsourcefile(inspect.unwrap(func))
    except (TypeError, OSError):
        source = None
    if source is None:
        module = sys.modules.get(getattr(func, "__module__", "") or "")
        source = getattr(module, "__file__", None)
    return str(Path(source).resolve()) if source else None


def _package_of(func: Callable[..., Any], source_file: str | None) -> str | None:
    """Return the top-level package name when ``func`` lives in an installed package."""
    if source_file is None:
        return None
    module = getattr(func, "__module__", "") or ""
    if not module or module.startswith("inspect_flow"):
        return None
    roots = {sysconfig.get_paths()[key] for key in ("purelib", "platlib")}
    if any(source_file.startswith(str(Path(root).resolve())) for root in roots):
        return module.split(".")[0]
    return None


def register_step(func: Callable[..., Any], wrapper: Callable[..., Any]) -> StepInfo:
    """Register ``wrapper`` (made from ``func``) as a step, replacing any step of the same name."""
    name = step_name_for(func)
    source = source_file_of(func)
    package = _package_of(func, source)
    info = StepInfo(
        name=name,
        qualified_name=f"{package}/{name}" if package else name,
        func=func,
        wrapper=wrapper,
        source_file=source,
    )
    _REGISTRY.steps[name] = info
    return info


def register_filter(func: Callable[..., Any]) -> FilterInfo:
    """Register ``func`` as a log filter, replacing any filter of the same qualified name."""
    name: str = getattr(func, "__name__", "filter")
    source = source_file_of(func)
    package = _package_of(func, source)
    info = FilterInfo(
        name=name,
        qualified_name=f"{package}/{name}" if package else name,
        func=func,
        source_file=source,
    )
    _REGISTRY.filters[info.qualified_name] = info
    return info


def registered_steps() -> dict[str, StepInfo]:
    """Return the registered steps by CLI name (a live view; do not mutate)."""
    return _REGISTRY.steps


def registered_filters() -> dict[str, FilterInfo]:
    """Return the registered filters by qualified name (a live view; do not mutate)."""
    return _REGISTRY.filters
