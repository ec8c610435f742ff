"""The Python API: steps, built-in steps, reports, completeness checks (mirrors ``flow``).

The exceptions a caller may catch are exported too (all derive from ``FlowError``). Names are
imported lazily, so ``from inspect_flow.api import tag`` in a ``_flow.py`` does not pull
in inspect_ai (or the spec machinery) before a command needs it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from inspect_flow._errors import (
    CommitError,
    FlowError,
    FlowUsageError,
    LogVanishedError,
    NoLogsError,
    PathNotFoundError,
    PathUnreadableError,
    StoreUnavailableError,
    UserFileError,
    WriteConflictError,
)
from inspect_flow._filters import FilterFailedError
from inspect_flow._lazy import lazy_exports
from inspect_flow._runtime import init

_EXPORTS: dict[str, str] = {
    "run_step": "inspect_flow._steps.run",
    "tag": "inspect_flow._steps.builtins",
    "metadata": "inspect_flow._steps.builtins",
    "copy": "inspect_flow._steps.builtins",
    "StepResult": "inspect_flow._steps.step",
    "StepReport": "inspect_flow._steps.report",
    "LogReport": "inspect_flow._steps.report",
    "check": "inspect_flow._check",
    "CheckResult": "inspect_flow._check",
    "CheckTask": "inspect_flow._check",
    "load_spec": "inspect_flow._spec",
}

if TYPE_CHECKING:
    from inspect_flow._check import CheckResult, CheckTask, check
    from inspect_flow._spec import load_spec
    from inspect_flow._steps.builtins import copy, metadata, tag
    from inspect_flow._steps.report import LogReport, StepReport
    from inspect_flow._steps.run import run_step
    from inspect_flow._steps.step import StepResult

__all__ = [
    "CommitError",
    "FilterFailedError",
    "FlowError",
    "FlowUsageError",
    "LogVanishedError",
    "NoLogsError",
    "PathNotFoundError",
    "PathUnreadableError",
    "StoreUnavailableError",
    "UserFileError",
    "WriteConflictError",
    "init",
    "run_step",
    "tag",
    "metadata",
    "copy",
    "StepResult",
    "StepReport",
    "LogReport",
    "check",
    "CheckResult",
    "CheckTask",
    "load_spec",
]


__getattr__ = lazy_exports(__name__, _EXPORTS, globals())
