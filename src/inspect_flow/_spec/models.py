"""The spec models: ``FlowSpec``, ``FlowTask``, ``FlowDefaults`` (and the parts they are made of).

Every model forbids unknown fields (a typo in a spec is an error, never silently ignored). Field
names, order, types and defaults are Inspect Flow 0.14's; inspect objects (``Task``, ``Model``,
``Solver``, ``Scorer``, callables) are accepted where a Python spec passes them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, PrivateAttr, field_validator, model_validator

from inspect_flow._spec._types import (
    ApprovalPolicyConfig,
    CheckpointConfig,
    GenerateConfig,
    HeadlineMetric,
    Model,
    ReviewPolicyConfig,
    SandboxEnvironmentSpec,
    TokenLimit,
    checkpoint_value,
)
from inspect_flow._spec.options import FlowOptions
from inspect_flow._spec.parts import (
    CONFIG,
    FlowAgent,
    FlowDependencies,
    FlowEpochs,
    FlowExtraArgs,
    FlowFactory,
    FlowModel,
    FlowScorer,
    FlowSolver,
    FlowStoreConfig,
    InstantiateConfig,
)

__all__ = [
    "FlowAgent",
    "FlowDefaults",
    "FlowDependencies",
    "FlowEpochs",
    "FlowExtraArgs",
    "FlowFactory",
    "FlowModel",
    "FlowOptions",
    "FlowScorer",
    "FlowSolver",
    "FlowSpec",
    "FlowStoreConfig",
    "FlowTask",
    "InstantiateConfig",
]

ModelRef = str | FlowModel | Model


class FlowTask(BaseModel):
    """One task of a spec.

    Every field that is also a ``task_with`` parameter (``solver`` … ``metadata``) has that
    parameter's meaning and is applied to the created task.

    Attributes:
        name: A registry name, ``file.py`` or ``file.py@func`` (relative to the spec's folder).
            It also becomes the task's name, as in Flow 0.14.
        factory: A ``@task`` function (or any callable returning a ``Task``), a registry name,
            ``file.py@name``, or a ``FlowFactory`` (its args under ``args``).
        args: Keyword arguments for the task function.
        extra_args: Extra arguments offered to the task's parts (``FlowExtraArgs``).
        sample_id: Sample id(s) to run.
        flow_metadata: Metadata kept in the spec only (never passed to inspect).

    """

    model_config = CONFIG

    name: str | None = None
    factory: FlowFactory[Any] | Callable[..., Any] | str | None = None
    args: dict[str, Any] | None = None
    extra_args: FlowExtraArgs | None = None
    # Solvers and scorers: inspect objects, registry names, or the Flow models (dicts in YAML
    # become FlowSolver, or FlowAgent with ``type: agent``, and FlowScorer).
    solver: FlowSolver | FlowAgent | str | list[Any] | Any = None
    scorer: FlowScorer | str | list[Any] | Any = None
    headline_metric: HeadlineMetric | str | None = None
    model: str | FlowModel | Model | None = None
    config: GenerateConfig | None = None
    model_roles: dict[str, ModelRef | list[ModelRef]] | None = None
    sandbox: str | tuple[str, str] | SandboxEnvironmentSpec | None = None
    approval: str | ApprovalPolicyConfig | None = None
    review: str | ReviewPolicyConfig | None = None
    epochs: int | FlowEpochs | None = None
    fail_on_error: bool | float | None = None
    continue_on_fail: bool | None = None
    score_on_error: bool | None = None
    checkpoint: CheckpointConfig | bool | None = None
    message_limit: int | None = None
    token_limit: int | str | TokenLimit | None = None
    turn_limit: int | None = None
    time_limit: int | None = None
    working_limit: int | None = None
    cost_limit: float | None = None
    early_stopping: Any = None
    description: str | None = None
    version: int | str | None = None
    tags: list[str] | None = None
    metadata: dict[str, Any] | None = None
    sample_id: str | int | list[str | int] | None = None
    flow_metadata: dict[str, Any] | None = None
    # The folder relative task files are resolved against (the folder of the spec file that
    # declared the task); None means the ``base_dir`` given to ``check``.
    _base_dir: str | None = PrivateAttr(default=None)

    @field_validator("model", mode="before")
    @classmethod
    def _model_from_dict(cls, value: Any) -> Any:
        return FlowModel(**value) if isinstance(value, dict) else value

    @field_validator("model_roles", mode="before")
    @classmethod
    def _roles(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        roles: dict[str, Any] = {}
        for role, ref in value.items():
            if isinstance(ref, (list, tuple)):
                if not ref:
                    raise ValueError(f"model_roles.{role}: a list of models needs at least one")
                roles[role] = [FlowModel(**r) if isinstance(r, dict) else r for r in ref]
            else:
                roles[role] = FlowModel(**ref) if isinstance(ref, dict) else ref
        return roles

    @field_validator("solver", mode="before")
    @classmethod
    def _solver_from_dict(cls, value: Any) -> Any:
        if isinstance(value, (list, tuple)):
            return [solver_entry(item) for item in value]
        return solver_entry(value)

    @field_validator("scorer", mode="before")
    @classmethod
    def _scorer_from_dict(cls, value: Any) -> Any:
        if isinstance(value, (list, tuple)):
            return [FlowScorer(**v) if isinstance(v, dict) else v for v in value]
        return FlowScorer(**value) if isinstance(value, dict) else value

    @field_validator("checkpoint", mode="before")
    @classmethod
    def _checkpoint(cls, value: Any) -> Any:
        return checkpoint_value(value)


def solver_entry(value: Any) -> Any:
    """Turn a YAML solver mapping into a ``FlowSolver`` (or ``FlowAgent`` for ``type: agent``)."""
    if not isinstance(value, dict):
        return value
    return FlowAgent(**value) if value.get("type") == "agent" else FlowSolver(**value)


# FlowTask fields an earlier release of this project accepted directly on FlowDefaults.
_OLD_DEFAULTS = frozenset(FlowTask.model_fields) - {"name", "factory", "args", "sample_id"}


class FlowDefaults(BaseModel):
    """Default field values for a spec's tasks, models, solvers and agents.

    The more specific setting wins: a field set on the task (or model, solver, agent) itself, over
    the longest matching ``*_prefix`` entry, over the general default. A prefix matches the start
    of the task's, model's, solver's or agent's name. Generate config: ``config`` < the task's
    ``config`` < the model's ``config``.

    Attributes:
        config: Default generate config (under every task's and model's config).
        agent: Field defaults for agents.
        agent_prefix: Agent defaults by agent name prefix (``{"inspect/": FlowAgent(...)}``).
        model: Field defaults for models.
        model_prefix: Model defaults by model name prefix (``{"openai/": FlowModel(...)}``).
        solver: Field defaults for solvers.
        solver_prefix: Solver defaults by solver name prefix.
        task: Field defaults for tasks.
        task_prefix: Task defaults by task name prefix (``{"inspect_evals/": FlowTask(...)}``).

    """

    model_config = CONFIG

    config: GenerateConfig | None = None
    agent: FlowAgent | None = None
    agent_prefix: dict[str, FlowAgent] | None = None
    model: FlowModel | None = None
    model_prefix: dict[str, FlowModel] | None = None
    solver: FlowSolver | None = None
    solver_prefix: dict[str, FlowSolver] | None = None
    task: FlowTask | None = None
    task_prefix: dict[str, FlowTask] | None = None

    @model_validator(mode="before")
    @classmethod
    def _old_shape(cls, data: Any) -> Any:
        """Move task fields given directly (an earlier release's shape) under ``task``.

        ``model`` given as a name and ``solver`` given as anything but a ``FlowSolver`` are
        task defaults too; a ``FlowModel``/``FlowSolver`` keeps 0.14's meaning.
        """
        if not isinstance(data, dict):
            return data
        moved: dict[str, Any] = {}
        kept: dict[str, Any] = {}
        for key, value in data.items():
            if key == "model" and isinstance(value, (str, Model)):
                moved[key] = value
            elif key == "solver" and not isinstance(value, (FlowSolver, dict, type(None))):
                moved[key] = value
            elif key in _OLD_DEFAULTS and key not in cls.model_fields:
                moved[key] = value
            else:
                kept[key] = value
        if not moved:
            return data
        task = kept.get("task")
        if isinstance(task, FlowTask):
            task = task.model_copy(update=moved)
            task.model_fields_set.update(moved)
        else:
            task = {**(task or {}), **moved}
        return {**kept, "task": task}


class FlowSpec(BaseModel):
    """A spec: the tasks to run or check, where their logs live, and shared options.

    Attributes:
        includes: Other spec files (relative to this one) or specs merged underneath this one.
        store: The Flow Store ``flow run`` uses: ``auto``, a path, or a ``FlowStoreConfig``.
        log_dir: The log directory (relative to the spec file's folder).
        log_dir_create_unique: Whether ``flow run`` adds a unique subdirectory (off for check).
        execution_type: ``inproc`` (the default) resolves tasks in this Python; ``venv`` in a
            temporary virtual environment holding ``dependencies`` (like ``--venv``).
        python_version: The Python version of the ``venv`` environment (needs ``uv``).
        dependencies: Packages the tasks need, installed into the ``venv`` environment.
        options: Eval-set options.
        env: Environment variables set while tasks are instantiated and checked.
        defaults: Defaults for tasks, models, solvers and agents.
        flow_metadata: Metadata kept in the spec only (never passed to inspect).
        tasks: ``FlowTask`` objects, inspect ``Task`` objects, task names or task functions.
        instantiate: How tasks are instantiated: ``serial``, ``by_task``, ``parallel`` or an
            ``InstantiateConfig``.
        internal: Data Flow keeps for itself in a spec; carried as it is.

    """

    model_config = CONFIG

    includes: list[str | FlowSpec] | None = None
    store: Literal["auto"] | str | FlowStoreConfig | None = None
    log_dir: str | None = None
    log_dir_create_unique: bool | None = None
    execution_type: Literal["inproc", "venv"] | None = None
    python_version: str | None = None
    dependencies: FlowDependencies | None = None
    options: FlowOptions | None = None
    env: dict[str, str] | None = None
    defaults: FlowDefaults | None = None
    flow_metadata: dict[str, Any] | None = None
    tasks: list[Any] | None = None
    instantiate: Literal["serial", "by_task", "parallel"] | InstantiateConfig | None = None
    internal: dict[str, Any] | None = None
    # Set by the loader: the spec file's folder, whether includes are already merged, and the
    # files the spec was loaded from (``_flow.py`` farthest first, includes, the spec file).
    _base_dir: str | None = PrivateAttr(default=None)
    _expanded: bool = PrivateAttr(default=False)
    _sources: list[str] = PrivateAttr(default_factory=list)
    # For a spec loaded from a file: where from, and with which overrides (a ``SpecSource`` of
    # ``inspect_flow._spec.venv``), so a venv check can load it again in its child process.
    _source: Any = PrivateAttr(default=None)

    @field_validator("tasks", mode="before")
    @classmethod
    def _normalise_tasks(cls, value: Any) -> Any:
        if value is None:
            return None
        if not isinstance(value, (list, tuple)):
            raise ValueError("tasks must be a list")
        return [_as_task_entry(item) for item in value]


def _as_task_entry(item: Any) -> Any:
    """Turn a ``tasks`` entry into a ``FlowTask`` unless it is an inspect ``Task``."""
    from inspect_ai import Task

    if isinstance(item, (FlowTask, Task)):
        return item
    if isinstance(item, str):
        return FlowTask(name=item)
    if isinstance(item, dict):
        return FlowTask(**item)
    if callable(item):
        return FlowTask(factory=item)
    raise ValueError(f"a task must be a FlowTask, a Task, a name or a task function: {item!r}")


def store_config(spec: FlowSpec) -> FlowStoreConfig | None:
    """Return the spec's ``store`` as a ``FlowStoreConfig`` (a plain path means ``path=``)."""
    store = spec.store
    if store is None or isinstance(store, FlowStoreConfig):
        return store
    return FlowStoreConfig(path=store)


def instantiate_config(spec: FlowSpec) -> InstantiateConfig:
    """Return the spec's ``instantiate`` setting as an ``InstantiateConfig``."""
    value = spec.instantiate
    if isinstance(value, InstantiateConfig):
        return value
    return InstantiateConfig(mode=value) if value else InstantiateConfig()
