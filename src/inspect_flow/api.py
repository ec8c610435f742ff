"""The Python API: steps, reports, completeness checks, specs, runs (mirrors ``flow``).

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
    InvalidHeaderError,
    LogVanishedError,
    NoLogsError,
    PathNotFoundError,
    PathUnreadableError,
    StepOptionError,
    StoreNotFoundError,
    StoreUnavailableError,
    StoreVersionError,
    UserFileError,
    WriteConflictError,
)
from inspect_flow._filters import FilterFailedError
from inspect_flow._lazy import lazy_dir, lazy_exports
from inspect_flow._runtime import bulk_gc, init

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
    "list_logs": "inspect_flow._list",
    "run": "inspect_flow._run",
    "RunResult": "inspect_flow._run",
    "FlowStore": "inspect_flow._store",
    "store_get": "inspect_flow._store",
    "delete_store": "inspect_flow._store",
    "copy_all_logs": "inspect_flow._store",
    "load_spec_data": "inspect_flow._spec.dump",
    "dump_spec": "inspect_flow._spec.dump",
    "config": "inspect_flow._spec.dump",
    "iter_model_refs": "inspect_flow._spec.model_refs",
    "SpecModelRef": "inspect_flow._spec.model_refs",
    "validate_portable_spec": "inspect_flow._spec.portable",
    "SpecNotPortableError": "inspect_flow._spec.portable",
    "SpecViolation": "inspect_flow._spec.portable",
    "DisplayType": "inspect_flow._spec._types",
    "scan": "inspect_flow._scan",
    "scan_step": "inspect_flow._scan",
}

if TYPE_CHECKING:
    from inspect_flow._check import CheckResult, CheckTask, check
    from inspect_flow._list import list_logs
    from inspect_flow._run import RunResult, run
    from inspect_flow._scan import scan, scan_step
    from inspect_flow._spec import load_spec
    from inspect_flow._spec._types import DisplayType
    from inspect_flow._spec.dump import config, dump_spec, load_spec_data
    from inspect_flow._spec.model_refs import SpecModelRef, iter_model_refs
    from inspect_flow._spec.portable import (
        SpecNotPortableError,
        SpecViolation,
        validate_portable_spec,
    )
    from inspect_flow._steps.builtins import copy, metadata, tag
    from inspect_flow._steps.report import LogReport, StepReport
    from inspect_flow._steps.run import run_step
    from inspect_flow._steps.step import StepResult
    from inspect_flow._store import FlowStore, copy_all_logs, delete_store, store_get

__all__ = [
    "CommitError",
    "FilterFailedError",
    "FlowError",
    "FlowUsageError",
    "InvalidHeaderError",
    "LogVanishedError",
    "NoLogsError",
    "PathNotFoundError",
    "PathUnreadableError",
    "StepOptionError",
    "StoreNotFoundError",
    "StoreUnavailableError",
    "StoreVersionError",
    "UserFileError",
    "WriteConflictError",
    "init",
    "bulk_gc",
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
    "list_logs",
    "run",
    "RunResult",
    "FlowStore",
    "store_get",
    "delete_store",
    "copy_all_logs",
    "load_spec_data",
    "dump_spec",
    "config",
    "iter_model_refs",
    "SpecModelRef",
    "validate_portable_spec",
    "SpecNotPortableError",
    "SpecViolation",
    "DisplayType",
    "scan",
    "scan_step",
]


__getattr__ = lazy_exports(__name__, _EXPORTS, globals())
__dir__ = lazy_dir(_EXPORTS, globals())
