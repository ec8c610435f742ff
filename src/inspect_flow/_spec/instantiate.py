"""Turn a spec's tasks into inspect tasks, their identities and their expected sample counts.

Each task is created (its ``@task`` function called, or loaded by name), ``task_with`` applies the
``FlowTask`` overrides, and inspect resolves it as ``eval_set`` would. Its identity is
``inspect_ai.task_identifier`` split into the task's source file and the rest (see ``identity``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from inspect_ai.model import GenerateConfig

from inspect_flow._errors import FlowError
from inspect_flow._spec import _inspect, components
from inspect_flow._spec.defaults import task_with_defaults
from inspect_flow._spec.identity import TaskIdentity, split_identifier
from inspect_flow._spec.models import (
    FlowExtraArgs,
    FlowFactory,
    FlowModel,
    FlowSpec,
    FlowTask,
)
from inspect_flow._spec.overrides import merge

if TYPE_CHECKING:
    from inspect_ai import Task
    from inspect_ai.model import Model

_CONFIG_FIELDS = (
    "temperature",
    "top_p",
    "max_tokens",
    "seed",
    "top_k",
    "num_choices",
    "best_of",
    "frequency_penalty",
    "presence_penalty",
    "stop_seqs",
    "logit_bias",
    "logprobs",
    "top_logprobs",
    "parallel_tool_calls",
    "system_message",
    "reasoning_effort",
    "reasoning_tokens",
    "effort",
)
_LIMITS = (
    "message_limit",
    "token_limit",
    "turn_limit",
    "time_limit",
    "working_limit",
    "cost_limit",
)


@dataclass
class SpecTask:
    """One instantiated spec task.

    Attributes:
        index: Position in the spec's task list.
        flow_task: The task after defaults are applied.
        task: The inspect ``Task``.
        name: The task's name (as logs record it).
        model: The model name.
        identity: What a log must match.
        expected_samples: Samples a complete log has (dataset after ``sample_id``, capped by
            ``limit``, times epochs); None when the dataset size cannot be known.
        epochs: The task's epochs.
        reducer: The task's epochs reducer(s), when it names any.
        qualifiers: Fields that may tell apart tasks of the same name and model, in display order.

    """

    index: int
    flow_task: FlowTask
    task: Task
    name: str
    model: str
    identity: TaskIdentity
    expected_samples: int | None
    epochs: int
    reducer: list[str] | None
    qualifiers: dict[str, str] = field(default_factory=dict)


def instantiate_tasks(spec: FlowSpec, base_dir: str) -> list[SpecTask]:
    """Instantiate every task of an (expanded) spec, in spec order.

    Args:
        spec: The spec (includes already merged).
        base_dir: The folder task files without a recorded folder are relative to.

    Raises:
        FlowError: A task cannot be created, or two tasks have the same identity.
        UserFileError: An ``@after_instantiate`` hook failed.

    """
    from inspect_ai import Task

    from inspect_flow._spec.hooks import run_after_instantiate

    options = spec.options
    limit = options.limit if options else None
    shuffle = options.sample_shuffle if options else None
    flow_tasks: list[FlowTask] = []
    tasks: list[Task] = []
    for entry in spec.tasks or []:
        flow_task = entry if isinstance(entry, FlowTask) else FlowTask(name=entry.name)
        if isinstance(entry, FlowTask):
            flow_task = task_with_defaults(entry, spec.defaults)
            task = _create(flow_task, base_dir)
        else:
            assert isinstance(entry, Task)
            task = entry
        flow_tasks.append(flow_task)
        tasks.append(task)
    default_model = str(_default_model())
    tasks = run_after_instantiate(spec, tasks, base_dir, default_model)
    results = [
        _resolve(index, flow_task, task, limit, shuffle)
        for index, (flow_task, task) in enumerate(zip(flow_tasks, tasks, strict=True))
    ]
    _reject_duplicates(results)
    return results


def _create(flow_task: FlowTask, base_dir: str) -> Task:
    from inspect_ai import Epochs, task_with

    directory = flow_task._base_dir or base_dir
    extra = flow_task.extra_args or FlowExtraArgs()
    source, args = components.factory_and_args(flow_task)
    try:
        if callable(source):
            task = source(**{**components.accepted(source, extra.task, args), **args})
        else:
            task = components.create_named(
                "task", _task_ref(source, flow_task, directory), args, extra.task, _load
            )
        overrides = _overrides(flow_task, directory, extra)
    except FlowError:
        raise
    except Exception as exc:
        raise FlowError(f"Could not create task {_label(flow_task)}: {exc}") from exc
    epochs = flow_task.epochs
    if epochs is not None:
        overrides["epochs"] = (
            Epochs(epochs.epochs, epochs.reducer) if not isinstance(epochs, int) else epochs
        )
    try:
        return task_with(task, **overrides)
    except Exception as exc:
        raise FlowError(f"Could not apply the settings of task {_label(flow_task)}: {exc}") from exc


# FlowTask fields handed to ``task_with`` as they are (when set).
_PASSED = (
    *_LIMITS,
    "version",
    "metadata",
    "tags",
    "sandbox",
    "approval",
    "review",
    "fail_on_error",
    "continue_on_fail",
    "score_on_error",
    "checkpoint",
    "early_stopping",
    "description",
    "headline_metric",
)


def _overrides(flow_task: FlowTask, directory: str, extra: FlowExtraArgs) -> dict[str, Any]:
    """Return the ``task_with`` arguments the FlowTask sets (model, solver, scorer, limits...)."""
    overrides: dict[str, Any] = {
        name: getattr(flow_task, name) for name in _PASSED if getattr(flow_task, name) is not None
    }
    if flow_task.name is not None:
        overrides["name"] = flow_task.name  # as in Flow 0.14: the name becomes the task's name
    if flow_task.model is not None:
        overrides["model"] = components.model(
            flow_task.model, flow_task.config, directory, extra.model
        )
    config = _effective_config(flow_task)
    if config is not None:
        overrides["config"] = config
    if flow_task.model_roles:
        overrides["model_roles"] = {
            role: [components.model(m, None, directory, extra.model) for m in ref]
            if isinstance(ref, list)
            else components.model(ref, None, directory, extra.model)
            for role, ref in flow_task.model_roles.items()
        }
    if flow_task.solver is not None:
        overrides["solver"] = components.solver(flow_task.solver, directory, extra)
    if flow_task.scorer is not None:
        overrides["scorer"] = components.scorer(flow_task.scorer, directory, extra)
    return overrides


def _task_ref(source: str, flow_task: FlowTask, directory: str) -> str:
    """Return a task reference with its file made absolute (checked to exist)."""
    ref = components.absolute_ref(source, directory)
    path = ref.rpartition("@")[0] if "@" in ref else ref
    if ref != source or os.path.isabs(path):
        if path.endswith((".py", ".ipynb")) and not os.path.isfile(path):
            shown = source.rpartition("@")[0] if "@" in source else source
            raise FlowError(f"Task file not found: {shown} (for task {_label(flow_task)})")
    return ref


def _load(ref: str, args: dict[str, Any]) -> Task:
    tasks = _inspect.load_task(ref, args)
    if len(tasks) != 1:
        raise FlowError(f"{ref} gives {len(tasks)} tasks; name one with file.py@task")
    return tasks[0]


def _effective_config(flow_task: FlowTask) -> GenerateConfig | None:
    """Return ``FlowTask.config`` (defaults merged in) under ``FlowModel.config``."""
    model_config = flow_task.model.config if isinstance(flow_task.model, FlowModel) else None
    if flow_task.config is not None and model_config is not None:
        return merge(flow_task.config, model_config)
    return model_config or flow_task.config


def _default_model() -> Model:
    from inspect_ai.model import get_model

    return get_model(os.environ.get("INSPECT_EVAL_MODEL") or "none/none")


def _resolve(
    index: int, flow_task: FlowTask, task: Task, limit: Any, shuffle: bool | int | None
) -> SpecTask:
    from inspect_ai import task_identifier

    resolved = _inspect.resolve_task(task, _default_model(), shuffle)
    file = os.path.abspath(resolved.task_file) if resolved.task_file else None
    identifier = task_identifier(_inspect.without_task_file(resolved), _inspect.identifier_args())
    identity = split_identifier(identifier, None, resolved.task.name, file)
    size = _inspect.size_after_sample_id(task.dataset, flow_task.sample_id)
    if isinstance(limit, int):
        size = min(limit, size)
    elif isinstance(limit, (tuple, list)):
        size = max(min(limit[1], size) - limit[0], 0)
    epochs = task.epochs or 1
    named = (
        flow_task.epochs.reducer if not isinstance(flow_task.epochs, (int, type(None))) else None
    )
    reducer = [named] if isinstance(named, str) else named
    return SpecTask(
        index=index,
        flow_task=flow_task,
        task=task,
        name=resolved.task.name,
        model=str(resolved.model),
        identity=identity,
        expected_samples=size * epochs,
        epochs=epochs,
        reducer=reducer,
        qualifiers=_qualifiers(resolved),
    )


def _qualifiers(resolved: Any) -> dict[str, str]:
    task = resolved.task
    values: dict[str, str] = {k: _text(v) for k, v in sorted(resolved.task_args.items())}
    if resolved.model_roles:
        values["model_roles"] = _text({k: str(v) for k, v in resolved.model_roles.items()})
    values["solver"] = _text(getattr(task.solver, "__qualname__", None) or "")
    values["approval"] = _text(task.approval)
    values["version"] = _text(task.version)
    for name in (*_LIMITS, "token_limit_type"):
        values[name] = _text(getattr(task, name, None))
    config = task.config.merge(resolved.model.config)
    for name in _CONFIG_FIELDS:
        value = getattr(config, name, None)
        values[name] = "..." if name == "system_message" and value is not None else _text(value)
    return values


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _label(flow_task: FlowTask) -> str:
    """Return how errors name a task: its name, else its factory's name or reference."""
    factory: Any = flow_task.factory
    if isinstance(factory, FlowFactory):
        factory = factory.factory
    return str(flow_task.name or getattr(factory, "__name__", factory))


def _reject_duplicates(tasks: list[SpecTask]) -> None:
    seen: dict[TaskIdentity, SpecTask] = {}
    for task in tasks:
        other = seen.get(task.identity)
        if other is not None:
            raise FlowError(
                f"Duplicate task found: tasks[{other.index}] and tasks[{task.index}] "
                f"({task.name}, {task.model}) have the same identity (epochs, limit and sample_id "
                "are not part of a task's identity)"
            )
        seen[task.identity] = task
