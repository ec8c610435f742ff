"""``@after_load`` and ``@after_instantiate``: functions that adjust a spec or its tasks.

* ``@after_load`` marks ``def hook(spec: FlowSpec) -> FlowSpec | None``. It runs once per spec,
  last in loading (after includes, ``_flow.py`` files, overrides and placeholders). It may change
  the spec in place (return None) or return a replacement ``FlowSpec``.
* ``@after_instantiate`` marks a function taking any of ``spec``, ``tasks`` and ``config`` *by
  name* (only those it declares are passed). It runs when the spec's tasks have been created
  (``tasks``: inspect ``Task`` objects in spec order, FlowTask settings applied), before their
  identities are computed, and may return a list of as many tasks to use instead.

Scope: a hook defined in a spec file, a file it includes or a ``_flow.py`` applies only to specs
whose loading read that file; a hook defined anywhere else (a script, an installed package)
applies to every spec. Hooks that apply to every spec run first, then the scoped ones in the
order of their files (``_flow.py`` farthest first, included files, the spec file), each file's
hooks in the order they were defined. Spec files are executed on every load: defining the same
function again (same file and qualified name) replaces the earlier registration.

Importing this module is cheap (no inspect_ai): ``_flow.py`` files may import it at CLI start.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from inspect_flow._errors import FlowError, FlowUsageError, UserFileError

if TYPE_CHECKING:
    from inspect_ai import Task

    from inspect_flow._spec.models import FlowSpec

F = TypeVar("F", bound=Callable[..., Any])

AFTER_LOAD = "after_load"
AFTER_INSTANTIATE = "after_instantiate"
INSTANTIATE_PARAMETERS = ("spec", "tasks", "config")
FLOW_FILE = "_flow.py"


@dataclass
class _Hook:
    kind: str
    func: Callable[..., Any]
    file: str  # the file as executed (frames of a traceback name it so)
    source: str  # its real path, compared with a spec's source files
    qualname: str
    parameters: tuple[str, ...]  # what an after_instantiate hook receives


_hooks: dict[tuple[str, str, str], _Hook] = {}
_spec_files: set[str] = set()  # real paths of every file read as a spec or an include


def after_load(func: F) -> F:
    """Run ``func(spec)`` on every spec it applies to, once loading is otherwise complete.

    Use as a bare decorator (``@after_load``). The function receives the expanded ``FlowSpec``
    and returns None (after changing it in place) or a ``FlowSpec`` to use instead.

    Raises:
        FlowUsageError: ``func`` cannot be called with one argument.

    """
    try:
        inspect.signature(func).bind(None)
    except TypeError as exc:
        raise FlowUsageError(
            f"@after_load function {_qualname(func)} must take one argument (the FlowSpec)"
        ) from exc
    except ValueError:
        pass  # no signature to inspect (some builtins): trust the caller
    _register(AFTER_LOAD, func, ("spec",))
    return func


def after_instantiate(func: F) -> F:
    """Run ``func`` when a spec's tasks are created, before their identities are computed.

    Use as a bare decorator (``@after_instantiate``). ``func`` declares the values it wants by
    parameter name: ``spec`` (the expanded ``FlowSpec``), ``tasks`` (the inspect ``Task`` list, in
    spec order) and ``config`` (an ``InstantiateConfig``: ``base_dir``, ``default_model``); a
    ``**kwargs`` parameter receives all three. A function with one positional parameter of another
    name (Flow 0.14's ``func(tasks)`` form) receives the tasks. It returns None or a list of as
    many tasks, which replace ``tasks``.

    Raises:
        FlowUsageError: ``func`` has a parameter other than ``spec``, ``tasks`` or ``config``.

    """
    names: list[str] = []
    parameters = list(inspect.signature(func).parameters.values())
    if _takes_tasks_only(parameters):
        # Flow 0.14's form: one positional parameter, any name, receiving the tasks.
        _register(AFTER_INSTANTIATE, func, (_POSITIONAL_TASKS,))
        return func
    for parameter in parameters:
        if parameter.kind is inspect.Parameter.VAR_KEYWORD:
            names = list(INSTANTIATE_PARAMETERS)
            break
        if (
            parameter.name not in INSTANTIATE_PARAMETERS
            or parameter.kind is inspect.Parameter.VAR_POSITIONAL
            or parameter.kind is inspect.Parameter.POSITIONAL_ONLY
        ):
            raise FlowUsageError(
                f"@after_instantiate function {_qualname(func)} has an unknown parameter "
                f"'{parameter.name}' (it may take spec, tasks and config, by name)"
            )
        names.append(parameter.name)
    _register(AFTER_INSTANTIATE, func, tuple(names))
    return func


_POSITIONAL_TASKS = "*tasks"


def _takes_tasks_only(parameters: list[inspect.Parameter]) -> bool:
    """Whether a hook has exactly one positional parameter not named spec, tasks or config."""
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return (
        len(parameters) == 1
        and parameters[0].kind in positional
        and parameters[0].name not in INSTANTIATE_PARAMETERS
    )


def note_spec_file(path: str) -> None:
    """Record that ``path`` is read as a spec file: its hooks are scoped to the specs using it."""
    _spec_files.add(os.path.realpath(path))


def run_after_load(spec: FlowSpec) -> FlowSpec:
    """Run the ``@after_load`` hooks that apply to ``spec`` and return the resulting spec.

    Raises:
        UserFileError: A hook raised or returned something other than a FlowSpec or None.

    """
    from inspect_flow._spec.models import FlowSpec

    for hook in _applicable(AFTER_LOAD, spec._sources):
        result = _call(hook, spec)
        if result is None:
            continue
        if not isinstance(result, FlowSpec):
            raise _bad_return(hook, result, "a FlowSpec or None")
        if result is not spec:
            result._base_dir = result._base_dir or spec._base_dir
            result._sources = list(spec._sources)
            result._expanded = True
            spec = result
    return spec


def run_after_instantiate(
    spec: FlowSpec, tasks: list[Task], base_dir: str, default_model: str
) -> list[Task]:
    """Run the ``@after_instantiate`` hooks that apply to ``spec``; return the (new) tasks.

    Raises:
        UserFileError: A hook raised or returned something other than None or a list of as many
            tasks.

    """
    hooks = _applicable(AFTER_INSTANTIATE, spec._sources)
    if not hooks:
        return tasks
    from inspect_ai import Task

    from inspect_flow._spec.models import instantiate_config

    config = instantiate_config(spec).model_copy(
        update={"base_dir": base_dir, "default_model": default_model}
    )
    for hook in hooks:
        values = {"spec": spec, "tasks": list(tasks), "config": config}
        if hook.parameters == (_POSITIONAL_TASKS,):
            result = _call(hook, list(tasks))
        else:
            result = _call(hook, **{name: values[name] for name in hook.parameters})
        if result is None:
            continue
        if not (
            isinstance(result, list)
            and len(result) == len(tasks)
            and all(isinstance(t, Task) for t in result)
        ):
            raise _bad_return(hook, result, f"None or a list of {len(tasks)} Task objects")
        tasks = result
    return tasks


def _register(kind: str, func: Callable[..., Any], parameters: tuple[str, ...]) -> None:
    code = getattr(inspect.unwrap(func), "__code__", None)
    file = code.co_filename if code is not None else ""
    hook = _Hook(
        kind=kind,
        func=func,
        file=file,
        source=os.path.realpath(file) if file else "",
        qualname=_qualname(func),
        parameters=parameters,
    )
    # A spec file executed again re-defines its hooks: the new function replaces the old one.
    _hooks[(kind, hook.source, hook.qualname)] = hook


def _scoped(hook: _Hook) -> bool:
    return os.path.basename(hook.source) == FLOW_FILE or hook.source in _spec_files


def _applicable(kind: str, sources: list[str]) -> list[_Hook]:
    """Return the hooks of ``kind`` for a spec read from ``sources``, in the order they run."""
    rank = {os.path.realpath(source): i for i, source in enumerate(sources)}
    hooks = [h for h in _hooks.values() if h.kind == kind]
    unscoped = [h for h in hooks if not _scoped(h)]
    scoped = [h for h in hooks if _scoped(h) and h.source in rank]
    return unscoped + sorted(scoped, key=lambda h: rank[h.source])  # stable: definition order


def _call(hook: _Hook, *args: Any, **kwargs: Any) -> Any:
    from inspect_flow._userfiles import calling, describe, failing_line

    try:
        with calling(hook.func, f"@{hook.kind} {hook.qualname}"):
            return hook.func(*args, **kwargs)
    except FlowError:
        raise
    except Exception as exc:
        line = failing_line(exc, hook.file) if hook.file else None
        raise UserFileError(
            hook.file or hook.qualname, line, f"@{hook.kind} {hook.qualname}: {describe(exc)}"
        ) from exc


def _bad_return(hook: _Hook, value: Any, expected: str) -> UserFileError:
    code = getattr(inspect.unwrap(hook.func), "__code__", None)
    return UserFileError(
        hook.file or hook.qualname,
        code.co_firstlineno if code is not None else None,
        f"@{hook.kind} {hook.qualname} returned {type(value).__name__}, expected {expected}",
    )


def _qualname(func: Callable[..., Any]) -> str:
    return str(getattr(func, "__qualname__", None) or getattr(func, "__name__", repr(func)))


def _reset_for_tests() -> None:
    """Forget every registered hook and spec file (tests share one process)."""
    _hooks.clear()
    _spec_files.clear()
