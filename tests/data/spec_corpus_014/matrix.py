"""Matrix helpers: tasks x models x configs, solvers, agents."""

from inspect_ai.model import GenerateConfig

from inspect_flow import (
    FlowSpec,
    FlowTask,
    agents_matrix,
    agents_with,
    configs_matrix,
    configs_with,
    models_matrix,
    models_with,
    solvers_matrix,
    solvers_with,
    tasks_matrix,
    tasks_with,
)

models = models_with(
    model=models_matrix(model=["mockllm/model"], config=configs_matrix(temperature=[0.0, 1.0])),
    memoize=False,
)
configs = configs_with(config=[GenerateConfig(max_tokens=10)], seed=3)
solvers = solvers_with(
    solver=solvers_matrix(solver="parts.py@corpus_answer", args=[{"prefix": ""}]),
    flow_metadata={"m": 1},
)
agents = agents_with(
    agent=agents_matrix(agent=["parts.py@corpus_echo"], args=[{"style": "x"}]), args={}
)

FlowSpec(
    log_dir="matrix-logs",
    instantiate="parallel",
    tasks=[
        *tasks_matrix(
            task=["parts.py@corpus_sum"],
            model=models,
            config=configs,
            args=[{"n": 1}, {"n": 2}],
        ),
        *tasks_with(
            task=FlowTask(name="parts.py@corpus_hello"), solver=solvers, model="mockllm/model"
        ),
        *tasks_with(
            task="parts.py@corpus_hello", solver=agents[0], model="mockllm/model", version=3
        ),
    ],
)
