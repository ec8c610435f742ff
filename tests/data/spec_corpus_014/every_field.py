"""The Python-only forms of Inspect Flow 0.14's spec fields: callables, objects, factories."""

from inspect_ai import Task
from inspect_ai.dataset import Sample
from inspect_ai.model import GenerateConfig, get_model
from inspect_ai.scorer import match
from parts import corpus_answer, corpus_echo, corpus_exact, corpus_hello, corpus_sum, mock_model

from inspect_flow import (
    FlowAgent,
    FlowDefaults,
    FlowDependencies,
    FlowEpochs,
    FlowExtraArgs,
    FlowFactory,
    FlowModel,
    FlowOptions,
    FlowScorer,
    FlowSolver,
    FlowSpec,
    FlowStoreConfig,
    FlowTask,
    InstantiateConfig,
)


class StopEarly:
    """A stand-in early-stopping policy (carried to the task as it is)."""


FlowSpec(
    store=FlowStoreConfig(path="store", filter=lambda log: True, read=True, write=False),
    log_dir="py-logs",
    log_dir_create_unique=True,
    execution_type="inproc",
    python_version="3.11",
    dependencies=FlowDependencies(
        dependency_file="auto",
        additional_dependencies="one-package",
        auto_detect_dependencies=True,
        uv_sync_args="--frozen --no-dev",
    ),
    options=FlowOptions(limit=(0, 2), sample_shuffle=7, display="none", checkpoint=False),
    env={"CORPUS_PY": "1"},
    defaults=FlowDefaults(
        config=GenerateConfig(seed=1),
        agent=FlowAgent(args={"style": "long"}),
        agent_prefix={"corpus_e": FlowAgent(flow_metadata={"kind": "agent"})},
        model=FlowModel(memoize=False),
        model_prefix={"mockllm/": FlowModel(config=GenerateConfig(max_tokens=32))},
        solver=FlowSolver(args={"tone": "warm"}),
        solver_prefix={"corpus_a": FlowSolver(flow_metadata={"kind": "solver"})},
        task=FlowTask(model="mockllm/model"),
        task_prefix={"corpus_h": FlowTask(epochs=2)},
    ),
    flow_metadata={"owner": "py"},
    tasks=[
        FlowTask(
            factory=FlowFactory[Task](factory=corpus_sum, args={"n": 5}),
            extra_args=FlowExtraArgs(solver={"tone": "dry"}, task={"level": "hard"}),
            solver=[
                FlowSolver(factory=corpus_answer, args={"prefix": ""}),
                "parts.py@corpus_answer",
            ],
            scorer=[
                FlowScorer(factory=FlowFactory(factory=corpus_exact, args={"strict": False})),
                match(),
            ],
            model=FlowModel(factory=mock_model, name="mockllm/model"),
            early_stopping=StopEarly(),
            epochs=FlowEpochs(epochs=1),
        ),
        FlowTask(
            factory=corpus_hello,
            solver=FlowAgent(factory=corpus_echo, name="corpus_echo"),
            model=get_model("mockllm/model"),
            model_roles={"grader": get_model("mockllm/model")},
            sample_id=2,
        ),
        FlowTask(name="parts.py@corpus_sum", args={"n": 1}, solver=corpus_answer(prefix="")),
        Task(dataset=[Sample(input="x", target="x")], name="inline"),
    ],
    instantiate=InstantiateConfig(mode="by_task", max_threads=2),
    internal={"py": True},
)
