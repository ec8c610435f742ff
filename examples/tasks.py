"""Tiny Inspect AI tasks used to make the example logs (their solvers never call a model)."""

from inspect_ai import Task, task
from inspect_ai.dataset import Sample
from inspect_ai.model import ModelOutput
from inspect_ai.scorer import match
from inspect_ai.solver import Generate, Solver, TaskState, solver


@solver
def answer(text: str) -> Solver:
    """Answer every sample with ``text`` (no model call, so runs finish offline)."""

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        state.output = ModelOutput.from_content(model="mockllm/model", content=text)
        return state

    return solve


@task
def addition() -> Task:
    return Task(
        dataset=[Sample(input="2+2?", target="4"), Sample(input="1+3?", target="4")],
        solver=answer("4"),
        scorer=match(),
    )


@task
def greeting() -> Task:
    return Task(
        dataset=[Sample(input="Say hello", target="hello"), Sample(input="Greet", target="hi")],
        solver=answer("hello"),
        scorer=match(),
    )
