"""inspect_flow: workflow steps, filters and completeness checks for Inspect AI eval logs.

Public names are imported lazily so that ``import inspect_flow`` (and ``flow --help``) stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from inspect_flow import _spec
from inspect_flow._lazy import lazy_dir, lazy_exports

__version__ = "0.14.0"
"""The version of inspect_flow: defined here only (pyproject.toml reads it from here)."""

# name -> module that defines it (the spec models and helpers: every name of _spec.__all__)
_EXPORTS: dict[str, str] = {
    "step": "inspect_flow._steps.step",
    "StepResult": "inspect_flow._steps.step",
    "log_filter": "inspect_flow._filters",
    "LogFilter": "inspect_flow._filters",
    "after_load": "inspect_flow._spec.hooks",
    "after_instantiate": "inspect_flow._spec.hooks",
    **dict.fromkeys(_spec.__all__, "inspect_flow._spec"),
}

if TYPE_CHECKING:
    from inspect_flow._filters import LogFilter, log_filter
    from inspect_flow._spec import *  # noqa: F403
    from inspect_flow._spec.hooks import after_instantiate, after_load
    from inspect_flow._steps.step import StepResult, step

__all__ = [
    "LogFilter",
    "StepResult",
    "__version__",
    "after_instantiate",
    "after_load",
    "log_filter",
    "step",
]
__all__ += _spec.__all__

__getattr__ = lazy_exports(__name__, _EXPORTS, globals())
__dir__ = lazy_dir(_EXPORTS, globals())
