"""Create the parts of a task a spec names: task functions, solvers, agents, scorers and models.

Names are resolved the way ``inspect eval`` resolves them (registry names, ``file.py@name``), with
relative files taken from the folder of the spec that declared them. ``FlowExtraArgs`` values go
only to functions that declare a parameter of that name (or ``**kwargs``); explicit args win.
"""

from __future__ import annotations

import importlib
import inspect
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from inspect_ai.model import GenerateConfig

from inspect_flow._errors import FlowUsageError
from inspect_flow._spec import _inspect
from inspect_flow._spec.models import (
    FlowAgent,
    FlowExtraArgs,
    FlowFactory,
    FlowModel,
    FlowScorer,
    FlowSolver,
)
from inspect_flow._spec.overrides import merge

if TYPE_CHECKING:
    from inspect_ai.model import Model


def accepted(function: Any, extra: dict[str, Any] | None, args: dict[str, Any]) -> dict[str, Any]:
    """Return the extra arguments ``function`` accepts and ``args`` does not already set."""
    if not extra or function is None:
        return {}
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):  # builtins and some callables have no signature
        return {}
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        names = set(extra)
    else:
        names = {p.name for p in parameters} & set(extra)
    return {k: v for k, v in extra.items() if k in names and k not in args}


def create_named(
    kind: str,
    name: str,
    args: dict[str, Any],
    extra: dict[str, Any] | None,
    create: Callable[[str, dict[str, Any]], Any],
) -> Any:
    """Create a registry object by name, offering it the extra arguments it accepts.

    A ``file.py@name`` object is registered only once its file is loaded, so when the function
    is not in the registry yet it is created once without extras (which loads the file) and again
    only if it turns out to accept some.

    Args:
        kind: The registry type (``task``, ``solver``, ``agent``, ``scorer``).
        name: A registry name or ``file.py@name`` (absolute file).
        args: The explicit arguments.
        extra: ``FlowExtraArgs`` values for this kind.
        create: Creates the object from ``(name, args)``.

    """
    if not extra:
        return create(name, args)
    short = name.rpartition("@")[2] if "@" in name else name
    function = _inspect.registered(kind, short)
    if function is None:
        created = create(name, args)
        more = accepted(_inspect.registered(kind, short), extra, args)
        return create(name, {**more, **args}) if more else created
    return create(name, {**accepted(function, extra, args), **args})


def absolute_ref(ref: str, directory: str) -> str:
    """Make the file of a ``file.py`` / ``file.py@name`` reference absolute (names unchanged)."""
    file, sep, name = ref.rpartition("@")
    path = file if sep else ref
    if not path.endswith((".py", ".ipynb")) or os.path.isabs(path):
        return ref
    absolute = os.path.normpath(os.path.join(directory, os.path.expanduser(path)))
    return f"{absolute}@{name}" if sep else absolute


def solver(value: Any, directory: str, extra: FlowExtraArgs | None) -> Any:
    """Create a task's solver: a name, a ``FlowSolver``/``FlowAgent``, a list, or an object."""
    if isinstance(value, list):
        return [solver(v, directory, extra) for v in value]
    if isinstance(value, str):
        value = FlowSolver(name=value)
    if isinstance(value, FlowAgent):
        return _create_part("agent", value, directory, extra.agent if extra else None)
    if isinstance(value, FlowSolver):
        return _create_part("solver", value, directory, extra.solver if extra else None)
    return value


def scorer(value: Any, directory: str, extra: FlowExtraArgs | None) -> Any:
    """Create a task's scorer: a name, a ``FlowScorer``, a list, or a scorer object."""
    if isinstance(value, list):
        return [scorer(v, directory, extra) for v in value]
    if isinstance(value, str):
        value = FlowScorer(name=value)
    if isinstance(value, FlowScorer):
        return _create_part("scorer", value, directory, extra.scorer if extra else None)
    return value


def factory_and_args(part: Any) -> tuple[Any, dict[str, Any]]:
    """Return what creates ``part`` (its ``factory``, else its ``name``) and the arguments.

    A ``FlowFactory``'s own args go under ``part.args`` (the part's args win).

    Raises:
        FlowUsageError: ``part`` has neither a factory nor a name.

    """
    args = dict(part.args or {})
    source: Any = part.factory
    if isinstance(source, FlowFactory):
        args = {**source.args, **args}
        source = source.factory
    if source is None:
        source = part.name
    if source is None:
        raise FlowUsageError(f"A {type(part).__name__} needs a name or a factory")
    return source, args


def _create_part(
    kind: str,
    part: FlowSolver | FlowAgent | FlowScorer,
    directory: str,
    extra: dict[str, Any] | None,
) -> Any:
    """Create a solver, agent or scorer from its ``factory`` (if given) or its ``name``."""
    source, args = factory_and_args(part)
    if callable(source):
        return source(**{**accepted(source, extra, args), **args})
    create = _inspect.scorer_named if kind == "scorer" else _inspect.solver_named
    return create_named(kind, absolute_ref(source, directory), args, extra, create)


def model(
    value: str | FlowModel | Model,
    config: GenerateConfig | None,
    directory: str,
    extra: dict[str, Any] | None = None,
) -> Model:
    """Create a task's model; the effective generate config goes on the model as well.

    ``inspect eval-set --temperature 0.5`` records the config both in the plan and as the
    model's generate config, so a spec task matches such logs only if it does the same.

    Args:
        value: A model name, a ``FlowModel`` or an inspect ``Model`` (used as it is).
        config: The task's generate config (``FlowModel.config`` wins over it).
        directory: The folder a ``file.py@name`` model factory is relative to.
        extra: ``FlowExtraArgs.model``: merged under the model's ``model_args``.

    """
    from inspect_ai.model import Model, get_model

    if isinstance(value, Model):
        return value
    if isinstance(value, str):
        value = FlowModel(name=value)
    effective = merge(config, value.config) if config and value.config else value.config or config
    model_args = {**(extra or {}), **(value.model_args or {})}
    if value.factory is not None:
        return _model_from_factory(value, effective or GenerateConfig(), model_args, directory)
    if value.name is None:
        raise FlowUsageError("A FlowModel needs a name or a factory")
    created = get_model(
        value.name,
        role=value.role,
        config=effective or GenerateConfig(),
        base_url=value.base_url,
        api_key=value.api_key,
        memoize=True if value.memoize is None else value.memoize,  # inspect's default: True
        **model_args,
    )
    assert isinstance(created, Model)
    return created


def _model_from_factory(
    value: FlowModel, config: GenerateConfig, model_args: dict[str, Any], directory: str
) -> Model:
    from inspect_ai.model import Model, get_model

    factory = value.factory
    own_args = dict(factory.args) if isinstance(factory, FlowFactory) else {}
    ref = factory.factory if isinstance(factory, FlowFactory) else factory
    function = ref if callable(ref) else resolve_callable(str(ref), directory)
    offered = {"name": value.name, "config": config, "model_args": model_args}
    result = function(**{**accepted(function, offered, own_args), **own_args})
    if isinstance(result, str):  # a factory may also just pick a model name
        result = get_model(result, config=config, **model_args)
    if not isinstance(result, Model):  # reported as "Could not create task ..." by the caller
        raise TypeError(
            f"The model factory {getattr(function, '__name__', ref)} returned "
            f"{type(result).__name__}, not an inspect Model"
        )
    return result


def resolve_callable(ref: str, directory: str) -> Callable[..., Any]:
    """Return the function ``file.py@name`` (relative to ``directory``) or ``module.name``.

    Raises:
        FlowUsageError: The reference names no function.

    """
    file, sep, name = ref.rpartition("@")
    try:
        if sep and file.endswith(".py"):
            from inspect_flow._discovery import load_python_file

            module: Any = load_python_file(absolute_ref(file, directory))
        else:
            module_name, _, name = ref.rpartition(".")
            module = importlib.import_module(module_name) if module_name else None
        function = getattr(module, name, None)
    except (ImportError, OSError) as exc:
        raise FlowUsageError(f"Cannot load {ref}: {exc}") from exc
    if not callable(function):
        raise FlowUsageError(f"{ref} is not a function (use file.py@name or module.name)")
    return function  # type: ignore[no-any-return]
