"""Tiny offline tasks for the check tests: solvers never call the model."""

from inspect_ai import Task, task
from inspect_ai.dataset import Sample
from inspect_ai.model import ModelOutput
from inspect_ai.scorer import match
from inspect_ai.solver import Generate, Solver, TaskState, solver


@solver
def answer_from_target() -> Solver:
    """Answer with the target, without calling the model."""

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        state.output = ModelOutput.from_content("none", str(state.target.text))
        return state

    return solve


@task
def addition(n: int = 3) -> Task:
    """N samples asking for sums."""
    samples = [Sample(id=i + 1, input=f"{i}+{i}?", target=str(2 * i)) for i in range(n)]
    return Task(dataset=samples, solver=answer_from_target(), scorer=match())


@task
def greeting() -> Task:
    """Two samples."""
    samples = [Sample(id=1, input="hi", target="hello"), Sample(id=2, input="yo", target="hey")]
    return Task(dataset=samples, solver=answer_from_target(), scorer=match())


@solver
def fail_on_second() -> Solver:
    """Answer sample 1; raise on sample 2 (the log ends with status error)."""

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        if state.sample_id == 2:
            raise RuntimeError("boom")
        state.output = ModelOutput.from_content("none", str(state.target.text))
        return state

    return solve


@task
def flaky() -> Task:
    """Two samples, the second of which errors."""
    samples = [Sample(id=1, input="a", target="a"), Sample(id=2, input="b", target="b")]
    return Task(dataset=samples, solver=fail_on_second(), scorer=match())
