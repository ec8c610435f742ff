"""Inspect types the spec models name in their fields (the ONE place private ones are imported).

Public names come from their public modules. Two have no public home in inspect_ai 0.3.285 and
are imported from the upstream file that defines them:

* ``ApprovalPolicyConfig`` — ``inspect_ai/approval/_policy.py``
* ``ReviewPolicyConfig`` — ``inspect_ai/review/_policy.py``
"""

from __future__ import annotations

import json
from typing import Any, Literal

from inspect_ai import ScannerConfig
from inspect_ai.approval._policy import ApprovalPolicyConfig
from inspect_ai.log import HeadlineMetric
from inspect_ai.model import GenerateConfig, Model, ModelCost
from inspect_ai.review._policy import ReviewPolicyConfig
from inspect_ai.util import CheckpointConfig, SandboxEnvironmentSpec, TokenLimit

DisplayType = Literal["full", "conversation", "rich", "plain", "log", "none"]
"""The display modes of inspect_ai (``--display``, ``FlowOptions.display``, ``init``)."""

__all__ = [
    "ApprovalPolicyConfig",
    "CheckpointConfig",
    "DisplayType",
    "GenerateConfig",
    "HeadlineMetric",
    "Model",
    "ModelCost",
    "ReviewPolicyConfig",
    "SandboxEnvironmentSpec",
    "ScannerConfig",
    "TokenLimit",
    "checkpoint_value",
]


def checkpoint_value(value: Any) -> Any:
    """Validate a ``checkpoint`` setting: a bool, a ``CheckpointConfig``, a mapping or a string.

    A mapping (as YAML gives) becomes a ``CheckpointConfig``; a string is ``true``/``false`` or
    a JSON object of ``CheckpointConfig`` fields.

    Raises:
        ValueError: Anything else.

    """
    if value is None or isinstance(value, (bool, CheckpointConfig)):
        return value
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("true", "false"):
            return lowered == "true"
        try:
            value = json.loads(value)
        except ValueError as exc:
            raise ValueError(f"checkpoint: not true, false or a JSON object: {value!r}") from exc
    if isinstance(value, dict):
        try:
            return CheckpointConfig(**value)
        except TypeError as exc:
            raise ValueError(f"checkpoint: {exc}") from exc
    raise ValueError(f"checkpoint must be a bool or a CheckpointConfig, not {type(value).__name__}")
