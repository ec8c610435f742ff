"""The example spec: which tasks should have a complete log (``flow check spec.py``)."""

from tasks import addition, greeting

from inspect_flow import FlowSpec, tasks_matrix

FlowSpec(
    log_dir="logs/dev",
    tasks=tasks_matrix(task=[addition, greeting], model=["mockllm/model"]),
)
