"""``FlowOptions``: the ``inspect_ai.eval_set`` options of a spec (Inspect Flow 0.14's fields).

Every field except ``bundle_url_mappings`` is the ``eval_set`` parameter of the same name, with
the same meaning; ``eval_set_options`` returns the ones a spec sets, ready to pass on.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, field_validator

from inspect_flow._spec._types import (
    ApprovalPolicyConfig,
    CheckpointConfig,
    DisplayType,
    ModelCost,
    ReviewPolicyConfig,
    SandboxEnvironmentSpec,
    ScannerConfig,
    checkpoint_value,
)
from inspect_flow._spec.parts import CONFIG

# Fields of FlowOptions that are not eval_set parameters.
NOT_EVAL_SET = frozenset({"bundle_url_mappings"})


class FlowOptions(BaseModel):
    """Eval-set options for the spec (``flow check`` uses ``limit``, ``sample_shuffle``).

    Each field is the ``inspect_ai.eval_set`` parameter of the same name (see inspect_ai's
    documentation for its meaning), except ``bundle_url_mappings``.

    Attributes:
        limit: Samples per task: a count, or a ``(start, stop)`` range.
        sample_shuffle: Shuffle samples (True, or a seed).
        display: The display mode of the run.
        bundle_url_mappings: Maps a local bundle folder to the URL it is served from (viewer
            links of ``flow list log``).

    """

    model_config = CONFIG

    retry_attempts: int | None = None
    retry_wait: float | None = None
    retry_connections: float | None = None
    retry_cleanup: bool | None = None
    sandbox: str | tuple[str, str] | SandboxEnvironmentSpec | None = None
    sandbox_cleanup: bool | None = None
    sandbox_prebuilt: bool | None = None
    checkpoint: CheckpointConfig | bool | None = None
    acp_server: bool | int | str | None = None
    ctl_server: bool | str | None = None
    scanner: str | ScannerConfig | None = None
    tags: list[str] | None = None
    metadata: dict[str, Any] | None = None
    trace: bool | None = None
    display: DisplayType | None = None
    approval: str | ApprovalPolicyConfig | None = None
    review: str | ReviewPolicyConfig | None = None
    score: bool | None = None
    score_display: bool | None = None
    notification: bool | str | None = None
    log_level: str | None = None
    log_level_transcript: str | None = None
    log_format: Literal["eval", "json"] | None = None
    limit: int | tuple[int, int] | None = None
    sample_shuffle: bool | int | None = None
    fail_on_error: bool | float | None = None
    continue_on_fail: bool | None = None
    retry_on_error: int | None = None
    score_on_error: bool | None = None
    debug_errors: bool | None = None
    incomplete_action: Literal["retry", "error"] | None = None
    incomplete_max: int | float | None = None
    model_cost_config: str | dict[str, ModelCost] | None = None
    max_samples: int | None = None
    max_dataset_memory: int | None = None
    max_tasks: int | None = None
    max_subprocesses: int | None = None
    max_sandboxes: int | None = None
    log_samples: bool | None = None
    log_realtime: bool | None = None
    log_images: bool | None = None
    log_model_api: bool | None = None
    log_refusals: bool | None = None
    log_buffer: int | None = None
    log_shared: bool | int | None = None
    bundle_dir: str | None = None
    bundle_overwrite: bool | None = None
    log_dir_allow_dirty: bool | None = None
    eval_set_id: str | None = None
    embed_viewer: bool | None = None
    bundle_url_mappings: dict[str, str] | None = None

    @field_validator("checkpoint", mode="before")
    @classmethod
    def _checkpoint(cls, value: Any) -> Any:
        return checkpoint_value(value)


def eval_set_options(options: FlowOptions | None) -> dict[str, Any]:
    """Return the ``eval_set`` keyword arguments ``options`` sets (fields set and not None).

    ``bundle_url_mappings`` (not an ``eval_set`` parameter) is left out.
    """
    if options is None:
        return {}
    return {
        name: getattr(options, name)
        for name in type(options).model_fields
        if name not in NOT_EVAL_SET and getattr(options, name) is not None
    }
