"""Tiny offline tasks for the run tests: solvers never call the model.

Every task's second sample raises ``KeyboardInterrupt`` while ``FLOW_TEST_STOP`` is set (what
Ctrl-C does to a running eval) and fails while ``FLOW_TEST_FAIL`` is set. With
``FLOW_TEST_SIGNAL=INT`` (or ``KILL``) the second sample sends that signal to its own process: a
real Ctrl-C, or a crash.
"""

import os
import signal

from inspect_ai import Task, task
from inspect_ai.dataset import Sample
from inspect_ai.model import ModelOutput
from inspect_ai.scorer import match
from inspect_ai.solver import Generate, Solver, TaskState, solver


@solver
def answer() -> Solver:
    """Answer with the target, without calling the model."""

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        if state.sample_id == 2 and os.environ.get("FLOW_TEST_SIGNAL"):
            os.kill(os.getpid(), getattr(signal, "SIG" + os.environ["FLOW_TEST_SIGNAL"]))
        if state.sample_id == 2 and os.environ.get("FLOW_TEST_STOP"):
            raise KeyboardInterrupt
        if state.sample_id == 2 and os.environ.get("FLOW_TEST_FAIL"):
            raise RuntimeError("boom")
        state.output = ModelOutput.from_content("none", str(state.target.text))
        return state

    return solve


def _samples(n: int) -> list[Sample]:
    return [Sample(id=i + 1, input=f"{i}+{i}?", target=str(2 * i)) for i in range(n)]


@task
def addition(n: int = 2) -> Task:
    """N samples."""
    return Task(dataset=_samples(n), solver=answer(), scorer=match())


@task
def greeting() -> Task:
    """Two samples."""
    return Task(dataset=_samples(2), solver=answer(), scorer=match())
