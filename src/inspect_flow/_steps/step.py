"""``@step``, ``StepResult`` and the wrapper that makes steps callable from Python and nestable."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Concatenate, NamedTuple, ParamSpec, TypeAlias, TypeVar, cast

from inspect_flow import _output
from inspect_flow._errors import FlowUsageError
from inspect_flow._logs import expand_paths, read_headers
from inspect_flow._registry import StepInfo, register_step
from inspect_flow._runtime import ensure_initialised
from inspect_flow._steps.context import StepContext, active, current, require_no_store
from inspect_flow._userfiles import calling

if TYPE_CHECKING:
    from inspect_ai.log import EvalLog

P = ParamSpec("P")
F = TypeVar("F", bound=Callable[..., Any])

StepInput: TypeAlias = (
    "Sequence[EvalLog] | Sequence[str | os.PathLike[str]] | EvalLog | str | os.PathLike[str]"
)
"""What a step accepts: EvalLogs, log paths or directories (local or S3), or one of them."""


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


def step(
    func: Callable[Concatenate[list[EvalLog], P], list[EvalLog] | StepResult],
) -> Callable[Concatenate[StepInput, P], list[EvalLog]]:
    """Register ``func(logs: list[EvalLog], **options) -> list[EvalLog] | StepResult`` as a step.

    The returned wrapper accepts a list of EvalLogs, a list of paths, a single path or a single
    EvalLog (directories are expanded), plus the keyword arguments ``dry_run`` and ``store``. Called
    at the outermost level it writes the logs it modified when it returns; called inside another
    step its writes are deferred until the outermost step exits.
    """
    info: StepInfo

    @functools.wraps(func)
    def wrapper(
        logs_or_paths: Any = _MISSING,
        *args: Any,
        dry_run: bool | None = None,
        store: Any = None,
        **kwargs: Any,
    ) -> list[EvalLog]:
        if logs_or_paths is _MISSING:  # also accepted by the step's own first parameter name
            first = _first_parameter(func)
            if first is None or first not in kwargs:
                raise TypeError(f"{func.__name__}() missing the logs_or_paths argument")
            logs_or_paths = kwargs.pop(first)
        return invoke(info, logs_or_paths, args, kwargs, dry_run=dry_run, store=store)

    wrapper.__flow_step__ = func  # type: ignore[attr-defined]
    wrapper.__signature__ = _wrapper_signature(func)  # type: ignore[attr-defined]
    info = register_step(func, wrapper)
    # The runtime wrapper also takes ``logs_or_paths=`` by keyword (as 0.14); type checkers see the
    # step's own options after the logs (ParamSpec), plus nothing else.
    return cast("Callable[Concatenate[StepInput, P], list[EvalLog]]", wrapper)


_MISSING: Any = object()


def _first_parameter(func: Callable[..., Any]) -> str | None:
    import inspect

    try:
        params = list(inspect.signature(func).parameters)
    except (TypeError, ValueError):
        return None
    return params[0] if params else None


def _wrapper_signature(func: Callable[..., Any]) -> Any:
    """Return the wrapper's signature: ``logs_or_paths`` first (as 0.14), then the options.

    Adds ``dry_run`` and ``store``, which every step call accepts.
    """
    import inspect

    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError):
        return None
    params = list(signature.parameters.values())[1:]
    first = inspect.Parameter(
        "logs_or_paths",
        inspect.Parameter.POSITIONAL_OR_KEYWORD,
        annotation="list[str] | list[EvalLog]",
    )
    names = {p.name for p in params}
    extra = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=ann)
        for name, default, ann in (("dry_run", False, "bool"), ("store", None, "Any"))
        if name not in names
    ]
    keyword = [p for p in params if p.kind is inspect.Parameter.VAR_KEYWORD]
    others = [p for p in params if p.kind is not inspect.Parameter.VAR_KEYWORD]
    return signature.replace(
        parameters=[first, *others, *extra, *keyword], return_annotation="list[EvalLog]"
    )


def checks_options(
    check: Callable[..., None],
) -> Callable[[F], F]:
    """Attach ``check(**options)`` to a step function: it runs before any log is read.

    Use it under ``@step``. ``check`` raises ``StepOptionError`` when the options cannot work.
    """

    def attach(func: F) -> F:
        func.__flow_check__ = check  # type: ignore[attr-defined]
        return func

    return attach


def check_options(info: StepInfo, kwargs: dict[str, Any]) -> None:
    """Run the step's option check (if it has one) on the options it is called with."""
    from inspect_flow._errors import StepOptionError

    check = getattr(info.func, "__flow_check__", None)
    if check is None:
        return
    try:
        check(**kwargs)
    except StepOptionError as exc:
        exc.step = exc.step or info.name
        raise


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
    if ctx is not None:
        require_no_store(store)  # a nested call cannot attach a store to the run
        return _call(ctx, info, logs, args, kwargs)
    ensure_initialised()
    ctx = StepContext(dry_run=bool(dry_run), store=store)
    ctx.report.step = info.name
    with active(ctx):
        result = _call(ctx, info, logs, args, kwargs)
        try:
            ctx.flush()
        finally:  # what was written (by this or an earlier flush) is indexed, even on a failure
            ctx.index_written()
    return result


def _call(
    ctx: StepContext, info: StepInfo, logs: Any, args: Sequence[Any], kwargs: dict[str, Any]
) -> list[EvalLog]:
    check_options(info, kwargs)
    inputs = resolve_inputs(ctx, logs)
    if not inputs:
        return []
    _output.err(call_line(info, len(inputs), kwargs, ctx.depth))
    ctx.depth += 1
    try:
        with calling(info.func, f"step '{info.name}'"):  # sys.exit in a step: exit 4, file:line
            raw = info.func(inputs, *args, **kwargs)
    except Exception as exc:
        _note_site(exc, info)
        raise
    finally:
        ctx.depth -= 1
    result = _as_result(raw, info)
    if result.logs and result.modified:
        ctx.mark_dirty(list(result.logs))
    if result.flush:
        ctx.flush()
    return [] if result.skip_log_steps else list(result.logs)


def _note_site(exc: Exception, info: StepInfo) -> None:
    """Record on ``exc`` the step it escaped and the line in the step's file that raised it.

    The exception itself propagates unchanged (Python callers catch what they expect); the CLI
    shows ``Step 'name' failed (file:line): Type: message``. Errors of this library (a bad
    option given to a built-in step, say) already say what is wrong and are left alone, and the
    innermost step that saw the exception is the one named.
    """
    from inspect_flow._errors import FlowError
    from inspect_flow._userfiles import failing_line

    if isinstance(exc, FlowError) or hasattr(exc, "__flow_step_site__"):
        return
    code = getattr(info.func, "__code__", None)
    line = failing_line(exc, code.co_filename) if code is not None else None
    site = f" ({code.co_filename}:{line})" if code is not None and line else ""
    where = f"Step '{info.name}' failed{site}"
    try:
        exc.__flow_step_site__ = where  # type: ignore[attr-defined]
        add_note = getattr(exc, "add_note", None)  # Python 3.11+: shown under the traceback
        if add_note is not None:
            add_note(where)
    except (AttributeError, TypeError):  # an exception type that refuses attributes
        pass


def resolve_inputs(ctx: StepContext, logs: Any) -> list[EvalLog]:
    """Turn what a step was called with into header EvalLogs (paths are expanded and read)."""
    from inspect_ai.log import EvalLog

    if isinstance(logs, (str, EvalLog)) or hasattr(logs, "__fspath__"):
        logs = [logs]
    items = list(logs)
    strings = [str(item) for item in items if not isinstance(item, EvalLog)]
    if not strings:
        return items
    unlistable: dict[str, str] = {}  # folders that cannot be listed: reported, not skipped
    read = read_headers(expand_paths(strings, errors=unlistable), session=ctx.session)
    ctx.record_unreadable({**unlistable, **read.errors})
    by_location = iter(read.logs)
    # Keep EvalLogs where they were given; paths become the logs they expand to.
    resolved = [item for item in items if isinstance(item, EvalLog)]
    return resolved + list(by_location)


def _as_result(raw: Any, info: StepInfo) -> StepResult:
    """Check what a step returned: a list of EvalLogs or a StepResult (of EvalLogs).

    Raises:
        UserFileError: Anything else (a list of strings, say): the step is broken (exit 4); its
            file and the line of its ``def`` are named.
    """
    from inspect_ai.log import EvalLog

    result = raw
    if isinstance(raw, list):
        result = StepResult(logs=raw) if raw else None
    if result is None:
        return StepResult(logs=[], modified=False, skip_log_steps=True)
    if isinstance(result, StepResult):
        wrong = [item for item in result.logs if not isinstance(item, EvalLog)]
        if not wrong:
            return result
        shown = f"{type(raw).__name__} holding {type(wrong[0]).__name__}"
    else:
        shown = type(raw).__name__
    from inspect_flow._errors import UserFileError

    code = getattr(info.func, "__code__", None)
    path = code.co_filename if code is not None else info.name
    line = code.co_firstlineno if code is not None else None
    raise UserFileError(
        path,
        line,
        f"step '{info.name}' returned {shown}; a step must return list[EvalLog] or StepResult",
        during=None,
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
        parts.append(f"{key}={_output.short_repr(shown)}")  # long values shortened
    return "  " * (depth + 1) + f"{info.name}({', '.join(parts)})"


def _same(value: Any, default: Any) -> bool:
    try:
        return bool(value == default)
    except Exception:
        return False
