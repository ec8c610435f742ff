"""``@step``, ``StepResult`` and the wrapper that makes steps callable from Python and nestable."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from inspect_flow import _output
from inspect_flow._errors import FlowUsageError
from inspect_flow._init import ensure_initialised
from inspect_flow._logs import expand_paths, read_headers
from inspect_flow._registry import StepInfo, register_step
from inspect_flow._steps.context import StepContext, activate, current, deactivate

if TYPE_CHECKING:
    from inspect_ai.log import EvalLog


class StepResult(NamedTuple):
    """What a step returns when it needs more control than a plain ``list[EvalLog]``.

    Attributes:
        logs: The logs returned to the caller.
        modified: When False, the logs are not written back.
        flush: Write all dirty logs now instead of at the outermost exit.
        skip_log_steps: Return ``[]`` to the caller, so a composed step has nothing left to do.
    """

    logs: list[EvalLog]
    modified: bool = True
    flush: bool = False
    skip_log_steps: bool = False


StepFunction = Callable[..., "list[EvalLog] | StepResult"]


def step(func: StepFunction) -> Callable[..., list[EvalLog]]:
    """Register ``func(logs: list[EvalLog], **options) -> list[EvalLog] | StepResult`` as a step.

    The returned wrapper accepts a list of EvalLogs, a list of paths, a single path or a single
    EvalLog (directories are expanded), plus the keyword arguments ``dry_run`` and ``store``. Called
    at the outermost level it writes the logs it modified when it returns; called inside another
    step its writes are deferred until the outermost step exits.
    """
    info: StepInfo

    @functools.wraps(func)
    def wrapper(
        logs: Any, *args: Any, dry_run: bool | None = None, store: Any = None, **kwargs: Any
    ) -> list[EvalLog]:
        return invoke(info, logs, args, kwargs, dry_run=dry_run, store=store)

    wrapper.__flow_step__ = func  # type: ignore[attr-defined]
    info = register_step(func, wrapper)
    return wrapper


def step_info_of(obj: Any) -> StepInfo:
    """Return the registry entry of a step wrapper (or of a function decorated with ``@step``)."""
    from inspect_flow._registry import registered_steps

    func = getattr(obj, "__flow_step__", None)
    for info in registered_steps().values():
        if info.wrapper is obj or (func is not None and info.func is func):
            return info
    if func is not None:
        return register_step(func, obj)
    raise FlowUsageError(
        f"{getattr(obj, '__name__', obj)!r} is not a step (decorate it with @step)"
    )


def invoke(
    info: StepInfo,
    logs: Any,
    args: Sequence[Any],
    kwargs: dict[str, Any],
    *,
    dry_run: bool | None = None,
    store: Any = None,
) -> list[EvalLog]:
    """Run one step call inside the current context, opening (and committing) one if needed."""
    ctx = current()
    token = None
    if ctx is None:
        ensure_initialised()
        ctx = StepContext(dry_run=bool(dry_run), store=store)
        ctx.report.step = info.name
        token = activate(ctx)
    try:
        result = _call(ctx, info, logs, args, kwargs)
        if token is not None:
            ctx.flush()
            ctx.index_written()
        return result
    finally:
        if token is not None:
            deactivate(token)


def _call(
    ctx: StepContext, info: StepInfo, logs: Any, args: Sequence[Any], kwargs: dict[str, Any]
) -> list[EvalLog]:
    inputs = resolve_inputs(ctx, logs)
    if not inputs:
        return []
    _output.err(call_line(info, len(inputs), kwargs, ctx.depth))
    ctx.depth += 1
    try:
        raw = info.func(inputs, *args, **kwargs)
    finally:
        ctx.depth -= 1
    result = _as_result(raw, info.name)
    if result.logs and result.modified:
        ctx.mark_dirty(list(result.logs))
    if result.flush:
        ctx.flush()
    return [] if result.skip_log_steps else list(result.logs)


def resolve_inputs(ctx: StepContext, logs: Any) -> list[EvalLog]:
    """Turn what a step was called with into header EvalLogs (paths are expanded and read)."""
    from inspect_ai.log import EvalLog

    if isinstance(logs, (str, EvalLog)) or hasattr(logs, "__fspath__"):
        logs = [logs]
    items = list(logs)
    strings = [str(item) for item in items if not isinstance(item, EvalLog)]
    if not strings:
        return items
    read = read_headers(expand_paths(strings))
    ctx.record_unreadable(read.errors)
    by_location = iter(read.logs)
    # Keep EvalLogs where they were given; paths become the logs they expand to.
    resolved = [item for item in items if isinstance(item, EvalLog)]
    return resolved + list(by_location)


def _as_result(raw: Any, name: str) -> StepResult:
    if isinstance(raw, StepResult):
        return raw
    if isinstance(raw, list):
        if not raw:
            return StepResult(logs=[], modified=False, skip_log_steps=True)
        return StepResult(logs=raw)
    raise FlowUsageError(
        f"Step '{name}' returned {type(raw).__name__}; "
        "a step must return list[EvalLog] or StepResult"
    )


def call_line(info: StepInfo, count: int, kwargs: dict[str, Any], depth: int) -> str:
    """Return the step-call line, e.g. ``  tag(logs=2, add=['x'])`` (two spaces per level)."""
    import inspect

    try:
        params = inspect.signature(info.func).parameters
    except (TypeError, ValueError):
        params = {}  # type: ignore[assignment]
    parts = [f"logs={count}"]
    for key, value in kwargs.items():
        param = params.get(key)
        default = param.default if param is not None else inspect.Parameter.empty
        if value is None or (isinstance(value, (list, tuple)) and not value):
            continue
        if default is not inspect.Parameter.empty and _same(value, default):
            continue
        shown = list(value) if isinstance(value, tuple) else value
        parts.append(f"{key}={shown!r}")
    return "  " * (depth + 1) + f"{info.name}({', '.join(parts)})"


def _same(value: Any, default: Any) -> bool:
    try:
        return bool(value == default)
    except Exception:
        return False
