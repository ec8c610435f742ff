"""``flow run``: run a spec's tasks with Inspect AI's ``eval_set`` (see ``run``)."""

from inspect_flow._run.run import RunInterrupted, RunPlan, RunResult, execute_run, plan_run, run

__all__ = ["RunInterrupted", "RunPlan", "RunResult", "execute_run", "plan_run", "run"]
