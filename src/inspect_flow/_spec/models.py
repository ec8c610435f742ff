"""The spec models: ``FlowSpec`` and the pieces it is made of.

Every model forbids unknown fields (a typo in a spec is an error, never silently ignored). Inspect
objects (``Task``, ``Solver``, ``Scorer``, callables) are accepted where a Python spec passes them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from inspect_ai.model import GenerateConfig
from pydantic import BaseModel, ConfigDict, PrivateAttr, field_validator

_CONFIG = ConfigDict(extra="forbid", arbitrary_types_allowed=True, validate_assignment=True)


class FlowFactory(BaseModel):
    """A function to call with arguments: how a task or a model is created.

    Attributes:
        function: A callable, or its name: for a task, a registry name (``my_pkg/my_task``) or
            ``file.py@name``; for a model, ``file.py@name`` or an importable ``module.name``
            (files are relative to the spec's folder).
        args: Keyword arguments for the call.

    """

    model_config = _CONFIG

    function: Callable[..., Any] | str
    args: dict[str, Any] | None = None


class _Named(BaseModel):
    """A function created by name: an inspect registry name or ``file.py@name``.

    Attributes:
        name: The registry name or ``file.py@name`` (relative to the spec's folder).
        args: Keyword arguments for the function.

    """

    model_config = _CONFIG

    name: str | None = None
    args: dict[str, Any] | None = None


class FlowSolver(_Named):
    """A solver created by name (an inspect ``@solver``).

    Attributes:
        type: Always ``solver``; tells a solver from an agent in YAML specs.

    """

    type: Literal["solver"] = "solver"


class FlowAgent(_Named):
    """An agent, created by name (an inspect ``@agent``), used as the task's solver.

    Attributes:
        type: Always ``agent``.

    """

    type: Literal["agent"] = "agent"


class FlowScorer(_Named):
    """A scorer created by name (an inspect ``@scorer``)."""


class FlowExtraArgs(BaseModel):
    """Extra arguments offered to every task, solver and scorer that accepts them.

    Unlike ``FlowTask.args`` (an error for a function without that parameter), each extra
    argument goes only to functions that declare a parameter of that name (or ``**kwargs``), so one
    setting in ``defaults`` can reach a mix of tasks. Explicit ``args`` win over extra ones.

    Attributes:
        task: Extra arguments for task functions.
        solver: Extra arguments for solvers and agents created by name.
        scorer: Extra arguments for scorers created by name.

    """

    model_config = _CONFIG

    task: dict[str, Any] | None = None
    solver: dict[str, Any] | None = None
    scorer: dict[str, Any] | None = None


class FlowDependencies(BaseModel):
    """Python packages the spec's tasks need (installed into the ``--venv`` environment).

    Attributes:
        dependency_file: ``auto`` (the nearest ``requirements.txt`` or ``pyproject.toml`` from the
            spec's folder up to the repository root), a file path relative to the spec's folder,
            or ``no_file``/None for none.
        additional_dependencies: Requirement strings or local paths (relative to the spec's folder).
        auto_detect_dependencies: Add the package of registry tasks named ``package/task`` when it
            is not installed.

    """

    model_config = _CONFIG

    dependency_file: str | None = "auto"
    additional_dependencies: str | list[str] | None = None
    auto_detect_dependencies: bool = True


class InstantiateConfig(BaseModel):
    """How tasks are instantiated (given to ``@after_instantiate`` hooks that ask for ``config``).

    Attributes:
        base_dir: The folder relative task files are resolved against.
        default_model: The model of tasks that name none (``INSPECT_EVAL_MODEL`` or ``none/none``).

    """

    model_config = _CONFIG

    base_dir: str
    default_model: str


class FlowModel(BaseModel):
    """A model for a task: its name plus what distinguishes one instance from another.

    Attributes:
        name: The model name (``provider/model``).
        role: The model role this model plays, when used in ``model_roles``.
        config: Generate config (highest precedence, above ``FlowTask.config``).
        model_args: Provider-specific model arguments.
        base_url: The provider's base URL.
        api_key: The provider's API key.
        factory: Creates the inspect ``Model`` instead of ``get_model(name)``: a function or a
            ``FlowFactory`` (called with ``name``, ``config`` and ``model_args`` when it declares
            them, plus its own args).

    """

    model_config = _CONFIG

    name: str | None = None
    role: str | None = None
    config: GenerateConfig | None = None
    model_args: dict[str, Any] | None = None
    base_url: str | None = None
    api_key: str | None = None
    factory: FlowFactory | Callable[..., Any] | str | None = None


class FlowEpochs(BaseModel):
    """Epochs for a task, with an optional score reducer.

    Attributes:
        epochs: How many times each sample runs.
        reducer: The reducer name(s) (inspect's default is ``mean``).

    """

    model_config = _CONFIG

    epochs: int
    reducer: str | list[str] | None = None


class _TaskFields(BaseModel):
    """Fields shared by ``FlowTask`` and ``FlowDefaults`` (everything but identity and args)."""

    model_config = _CONFIG

    model: str | FlowModel | None = None
    config: GenerateConfig | None = None
    # Solvers and scorers: inspect objects, registry names, or the Flow models (dicts in YAML
    # become FlowSolver, or FlowAgent with ``type: agent``, and FlowScorer).
    solver: FlowSolver | FlowAgent | str | list[Any] | Any = None
    scorer: FlowScorer | str | list[Any] | Any = None
    extra_args: FlowExtraArgs | None = None
    epochs: int | FlowEpochs | None = None
    model_roles: dict[str, str | FlowModel] | None = None
    message_limit: int | None = None
    token_limit: int | None = None
    turn_limit: int | None = None
    time_limit: int | None = None
    working_limit: int | None = None
    cost_limit: float | None = None
    sandbox: Any = None
    approval: str | None = None
    tags: list[str] | None = None
    metadata: dict[str, Any] | None = None

    @field_validator("model", mode="before")
    @classmethod
    def _model_from_dict(cls, value: Any) -> Any:
        return FlowModel(**value) if isinstance(value, dict) else value

    @field_validator("solver", mode="before")
    @classmethod
    def _solver_from_dict(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [_solver_entry(item) for item in value]
        return _solver_entry(value)

    @field_validator("scorer", mode="before")
    @classmethod
    def _scorer_from_dict(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [FlowScorer(**v) if isinstance(v, dict) else v for v in value]
        return FlowScorer(**value) if isinstance(value, dict) else value


def _solver_entry(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    return FlowAgent(**value) if value.get("type") == "agent" else FlowSolver(**value)


class FlowTask(_TaskFields):
    """One task of a spec.

    Attributes:
        name: A registry name, ``file.py`` or ``file.py@func`` (relative to the spec's folder).
            It also becomes the task's name, as in Flow 0.14.
        factory: A ``@task`` function (or any callable returning a ``Task``), a registry name,
            ``file.py@name``, or a ``FlowFactory`` (its args under ``args``).
        args: Keyword arguments for the task function.
        version: The task version.
        sample_id: Sample id(s) to run.

    """

    name: str | None = None
    factory: FlowFactory | Callable[..., Any] | str | None = None
    args: dict[str, Any] | None = None
    version: int | str | None = None
    sample_id: str | int | list[str | int] | None = None
    # The folder relative task files are resolved against (the folder of the spec file that
    # declared the task); None means the ``base_dir`` given to ``check``.
    _base_dir: str | None = PrivateAttr(default=None)


class FlowDefaults(_TaskFields):
    """Values applied to every task that does not set them (``config`` is merged underneath)."""


class FlowOptions(BaseModel):
    """Eval-set options for the spec (those ``flow check`` uses feed the expected sample counts).

    Attributes:
        limit: Samples per task: a count, or a ``(start, stop)`` range.
        sample_shuffle: Shuffle samples (True, or a seed).

    """

    model_config = _CONFIG

    limit: int | tuple[int, int] | None = None
    sample_shuffle: bool | int | None = None
    sandbox: Any = None
    approval: str | None = None
    review: str | None = None
    tags: list[str] | None = None
    metadata: dict[str, Any] | None = None
    retry_attempts: int | None = None
    retry_wait: float | None = None
    retry_connections: float | None = None
    retry_cleanup: bool | None = None
    fail_on_error: bool | float | None = None
    continue_on_fail: bool | None = None
    retry_on_error: int | None = None
    score_on_error: bool | None = None
    debug_errors: bool | None = None
    max_samples: int | None = None
    max_tasks: int | None = None
    max_subprocesses: int | None = None
    max_sandboxes: int | None = None
    log_samples: bool | None = None
    log_realtime: bool | None = None
    log_images: bool | None = None
    log_buffer: int | None = None
    log_shared: bool | int | None = None
    log_format: str | None = None
    log_level: str | None = None
    log_level_transcript: str | None = None
    log_dir_allow_dirty: bool | None = None
    bundle_dir: str | None = None
    bundle_overwrite: bool | None = None
    eval_set_id: str | None = None
    score: bool | None = None
    trace: bool | None = None


class FlowStoreConfig(BaseModel):
    """How ``flow run`` uses the Flow Store (``flow check`` never uses it).

    Attributes:
        path: The store location (``auto`` is the default store).
        filter: Filter(s) restricting store matches.
        read: Read matching logs from the store.
        write: Index completed logs in the store.

    """

    model_config = _CONFIG

    path: str = "auto"
    filter: str | list[str] | None = None
    read: bool = False
    write: bool = True


class FlowSpec(BaseModel):
    """A spec: the tasks to run or check, where their logs live, and shared options.

    Attributes:
        log_dir: The log directory (relative to the spec file's folder).
        log_dir_create_unique: Whether ``flow run`` adds a unique subdirectory (off for check).
        includes: Other spec files (relative to this one) or specs merged underneath this one.
        tasks: ``FlowTask`` objects, inspect ``Task`` objects, or task names.
        options: Eval-set options.
        defaults: Defaults for every task.
        store: Flow Store settings for ``flow run``.
        execution_type: ``inproc`` (the default) resolves tasks in this Python; ``venv`` in a
            temporary virtual environment holding ``dependencies`` (like ``--venv``).
        python_version: The Python version of the ``venv`` environment (needs ``uv``).
        dependencies: Packages the tasks need, installed into the ``venv`` environment.
        env: Environment variables set while tasks are instantiated and checked.

    """

    model_config = _CONFIG

    log_dir: str | None = None
    log_dir_create_unique: bool | None = None
    includes: list[str | FlowSpec] | None = None
    tasks: list[Any] | None = None
    options: FlowOptions | None = None
    defaults: FlowDefaults | None = None
    store: FlowStoreConfig | None = None
    execution_type: Literal["inproc", "venv"] | None = None
    python_version: str | None = None
    dependencies: FlowDependencies | None = None
    env: dict[str, str] | None = None
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
