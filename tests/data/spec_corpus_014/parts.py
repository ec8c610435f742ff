"""Tasks, solvers, agents, scorers and a model factory for the 0.14 spec corpus (offline)."""

from inspect_ai import Task, task
from inspect_ai.agent import Agent, AgentState, agent
from inspect_ai.dataset import Sample
from inspect_ai.model import GenerateConfig, Model, ModelOutput, get_model
from inspect_ai.scorer import Score, Scorer, Target, accuracy, match, scorer
from inspect_ai.solver import Generate, Solver, TaskState, solver


@solver
def corpus_answer(prefix: str = "", tone: str = "plain") -> Solver:
    """Answer with the target, without calling the model."""

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        state.output = ModelOutput.from_content("none", prefix + str(state.target.text))
        return state

    return solve


@agent
def corpus_echo(style: str = "short") -> Agent:
    """An agent that answers without calling the model."""

    async def execute(state: AgentState) -> AgentState:
        return state

    return execute


@scorer(metrics=[accuracy()])
def corpus_exact(strict: bool = True) -> Scorer:
    """Compare the corpus_answer with the target."""

    async def score(state: TaskState, target: Target) -> Score:
        return Score(value=1 if state.output.completion == target.text else 0)

    return score


@task
def corpus_sum(n: int = 3, level: str = "easy") -> Task:
    """N samples asking for sums."""
    samples = [Sample(id=i + 1, input=f"{i}+{i}?", target=str(2 * i)) for i in range(n)]
    return Task(dataset=samples, solver=corpus_answer(), scorer=match())


@task
def corpus_hello() -> Task:
    """Two samples."""
    samples = [Sample(id=1, input="hi", target="hello"), Sample(id=2, input="yo", target="hey")]
    return Task(dataset=samples, solver=corpus_answer(), scorer=match())


def mock_model(name: str | None, config: GenerateConfig, seed: int = 0) -> Model:
    """A model factory: the mock model with the effective config."""
    return get_model("mockllm/model", config=config)
