"""The parts a spec is made of: factories, solvers, agents, scorers, models, epochs, settings.

Every model forbids unknown fields (a typo in a spec is an error, never silently ignored); field
names, order, types and defaults are Inspect Flow 0.14's. Inspect objects and callables are
accepted where a Python spec passes them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, model_validator

from inspect_flow._spec._types import GenerateConfig

CONFIG = ConfigDict(extra="forbid", arbitrary_types_allowed=True, validate_assignment=True)

R = TypeVar("R")


class FlowFactory(BaseModel, Generic[R]):
    """A function to call with arguments: how a task, solver, agent, scorer or model is created.

    ``FlowFactory[Task](factory=..., args=...)`` names what the factory returns (for type
    checkers; it is not checked at run time).

    Attributes:
        factory: A callable, or its name: a registry name (``my_pkg/my_task``), ``file.py@name``
            (relative to the spec's folder) or, for a model, an importable ``module.name``.
        args: Keyword arguments for the call (the object's own ``args`` win over these).

    """

    model_config = CONFIG

    factory: Callable[..., Any] | str
    args: dict[str, Any] = {}

    @model_validator(mode="before")
    @classmethod
    def _old_names(cls, data: Any) -> Any:
        # Accepted for specs written for earlier releases of this project: ``function=``.
        if isinstance(data, dict) and "function" in data and "factory" not in data:
            data = {("factory" if k == "function" else k): v for k, v in data.items()}
        if isinstance(data, dict) and data.get("args", {}) is None:
            data = {**data, "args": {}}
        return data

    @property
    def function(self) -> Callable[..., Any] | str:
        """The factory (the name this field had in earlier releases of this project)."""
        return self.factory


class _Named(BaseModel):
    """An inspect object created by name or by a factory.

    Attributes:
        name: A registry name or ``file.py@name`` (relative to the spec's folder). Used to create
            the object when ``factory`` is not given.
        factory: A function (or ``FlowFactory``, registry name, ``file.py@name``) creating it.
        args: Keyword arguments for the function.
        flow_metadata: Metadata kept in the spec only (never passed to inspect).

    """

    model_config = CONFIG

    name: str | None = None
    factory: FlowFactory[Any] | Callable[..., Any] | str | None = None
    args: dict[str, Any] | None = None
    flow_metadata: dict[str, Any] | None = None


class FlowSolver(_Named):
    """A solver (an inspect ``@solver``).

    Attributes:
        type: ``solver`` when given; optional (tells a solver from an agent in YAML lists).

    """

    type: Literal["solver"] | None = None


class FlowAgent(_Named):
    """An agent (an inspect ``@agent``), used as the task's solver.

    Attributes:
        type: ``agent``; in YAML, a solver mapping with ``type: agent`` is a ``FlowAgent``.

    """

    type: Literal["agent"] | None = None


class FlowScorer(_Named):
    """A scorer (an inspect ``@scorer``)."""


class FlowExtraArgs(BaseModel):
    """Extra arguments offered to the functions that create a task's parts.

    Unlike ``args`` (an error for a function without that parameter), an extra argument goes only
    to functions that declare a parameter of that name (or ``**kwargs``), so one setting in
    ``defaults`` can reach a mix of tasks. Explicit ``args`` win over extra ones.

    Attributes:
        model: Extra model arguments, merged under every model's ``model_args``.
        solver: Extra arguments for solvers.
        agent: Extra arguments for agents.
        scorer: Extra arguments for scorers.
        task: Extra arguments for task functions (this project's addition).

    """

    model_config = CONFIG

    model: dict[str, Any] | None = None
    solver: dict[str, Any] | None = None
    agent: dict[str, Any] | None = None
    scorer: dict[str, Any] | None = None
    task: dict[str, Any] | None = None


class FlowModel(BaseModel):
    """A model for a task: its name plus what distinguishes one instance from another.

    Attributes:
        name: The model name (``provider/model``).
        factory: Creates the inspect ``Model`` instead of ``get_model(name)``: a function, a
            ``FlowFactory``, ``file.py@name`` or ``module.name`` (offered ``name``, ``config`` and
            ``model_args`` when it declares them, plus its own args).
        role: The model role this model plays.
        config: Generate config (highest precedence, above ``FlowTask.config``).
        base_url: The provider's base URL.
        api_key: The provider's API key.
        memoize: Whether inspect reuses one instance per model (``get_model(memoize=)``).
        model_args: Provider-specific model arguments.
        flow_metadata: Metadata kept in the spec only.

    """

    model_config = CONFIG

    name: str | None = None
    factory: FlowFactory[Any] | Callable[..., Any] | str | None = None
    role: str | None = None
    config: GenerateConfig | None = None
    base_url: str | None = None
    api_key: str | None = None
    memoize: bool | None = None
    model_args: dict[str, Any] | None = None
    flow_metadata: dict[str, Any] | None = None


class FlowEpochs(BaseModel):
    """Epochs for a task, with an optional score reducer.

    Attributes:
        epochs: How many times each sample runs.
        reducer: The reducer name(s) (inspect's default is ``mean``).

    """

    model_config = CONFIG

    epochs: int
    reducer: str | list[str] | None = None


class FlowDependencies(BaseModel):
    """Python packages the spec's tasks need (installed into the ``venv`` environment).

    Attributes:
        dependency_file: ``auto`` (the default: the nearest ``requirements.txt`` or
            ``pyproject.toml`` from the spec's folder up to the repository root), a file path
            relative to the spec's folder, or ``no_file`` for none.
        additional_dependencies: Requirement strings or local paths (relative to the spec's folder).
        auto_detect_dependencies: Add the package of registry tasks named ``package/task`` when it
            is not installed (default: true).
        uv_sync_args: Extra arguments for ``uv`` when it installs the dependencies (a string is
            split like a shell command line).

    """

    model_config = CONFIG

    dependency_file: Literal["auto", "no_file"] | str | None = None
    additional_dependencies: str | list[str] | None = None
    auto_detect_dependencies: bool | None = None
    uv_sync_args: str | list[str] | None = None


class InstantiateConfig(BaseModel):
    """How a spec's tasks are instantiated (``FlowSpec.instantiate``).

    ``@after_instantiate`` hooks that ask for ``config`` receive one with ``base_dir`` and
    ``default_model`` filled in.

    Attributes:
        mode: ``serial``, ``by_task`` or ``parallel``.
        max_threads: The most threads a parallel mode uses.
        base_dir: The folder relative task files are resolved against (set for hooks).
        default_model: The model of tasks that name none (set for hooks).

    """

    model_config = CONFIG

    mode: Literal["serial", "by_task", "parallel"] = "serial"
    max_threads: int = 32
    base_dir: str | None = None
    default_model: str | None = None


class FlowStoreConfig(BaseModel):
    """How ``flow run`` uses the Flow Store (``flow check`` never uses it).

    Attributes:
        path: The store location (``auto`` is the default store).
        filter: Log filter(s) restricting store matches: callables, registered names or
            ``file.py@name``.
        read: Read matching logs from the store.
        write: Index completed logs in the store.

    """

    model_config = CONFIG

    path: Literal["auto"] | str | None = "auto"
    filter: Callable[..., Any] | str | list[Callable[..., Any] | str] | None = None
    read: bool = False
    write: bool = True
