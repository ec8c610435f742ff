"""``scan`` and ``scan_step``: Inspect Scout integration, not supported by this implementation."""

from __future__ import annotations

from typing import Any

from inspect_flow._errors import FlowUsageError

_MESSAGE = (
    "{name} (Inspect Scout scanners) is not supported by this inspect_flow; "
    "run Inspect Scout directly (scout scan)."
)


def scan(logs: Any, scanners: Any, *args: Any, **kwargs: Any) -> Any:
    """Run Inspect Scout scanners over logs: not supported here.

    Raises:
        FlowUsageError: Always (one line, exit 2 on the CLI).

    """
    raise FlowUsageError(_MESSAGE.format(name="scan"))


def scan_step(logs_or_paths: Any, *args: Any, **kwargs: Any) -> Any:
    """Run the ``scan`` step of Inspect Flow 0.14: not supported here.

    Raises:
        FlowUsageError: Always (one line, exit 2 on the CLI).

    """
    raise FlowUsageError(_MESSAGE.format(name="scan_step"))
